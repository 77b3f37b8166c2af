//! The daemon's own flasher, for lamps on modules without a flash function: each group's
//! flashing aspect is timed from the moment the group began to show it, at 55 flashes a minute
//! (MUTCD 2009 4D.30: 50 to 60), lit half the time. Its first half is the one that differs from
//! what the head showed before, so the change shows at once: a flashing green begins dark
//! (after a steady green), flashing amber and flashing don't walk begin lit (after red, after
//! walk). A lamp-reading conflict monitor therefore sees a flashing green for as long as it
//! lasts, not half a period less.

use std::time::Instant;

use greenwave_controllers::model::Aspect;

use super::lamps::FLASH_HALF_PERIOD;

/// When each group began its current aspect, and when the lamps were last rendered.
#[derive(Clone, Debug)]
pub struct Flasher {
    showing: Vec<Option<(Aspect, Instant)>>,
    rendered: Option<Instant>,
}

fn flashes(a: Aspect) -> bool {
    matches!(
        a,
        Aspect::FlashingAmber | Aspect::FlashingGreen | Aspect::FlashingDontWalk
    )
}

impl Flasher {
    /// A flasher for `groups` groups, none showing anything yet.
    pub fn new(groups: usize) -> Flasher {
        Flasher {
            showing: vec![None; groups],
            rendered: None,
        }
    }

    /// Each group's half of its flash cycle at `now` (true: lit), the groups showing
    /// `aspects` (a group whose aspect changed begins its cycle now).
    pub fn halves(&mut self, aspects: &[Aspect], now: Instant) -> Vec<bool> {
        let half = FLASH_HALF_PERIOD.as_nanos();
        self.rendered = Some(now);
        aspects
            .iter()
            .zip(&mut self.showing)
            .map(|(&a, showing)| {
                let began = match showing {
                    Some((shown, began)) if *shown == a => *began,
                    _ => showing.insert((a, now)).1,
                };
                let k = now.saturating_duration_since(began).as_nanos() / half;
                (k % 2 == 0) != (a == Aspect::FlashingGreen)
            })
            .collect()
    }

    /// When the first flash half after the last rendering ends, if any group shows a flashing
    /// aspect: in the past if a rendering is due (a half is never skipped, however late the
    /// caller comes back).
    pub fn next(&self) -> Option<Instant> {
        self.next_among(&vec![true; self.showing.len()])
    }

    /// As [`Flasher::next`], of the groups `g` with `among[g]` only (those whose lamps the
    /// daemon toggles, not a module's own flash function).
    pub fn next_among(&self, among: &[bool]) -> Option<Instant> {
        let half = FLASH_HALF_PERIOD.as_nanos();
        let now = self.rendered?;
        self.showing
            .iter()
            .zip(among)
            .filter_map(|(showing, &counted)| showing.filter(|(a, _)| counted && flashes(*a)))
            .map(|(_, began)| {
                let k = now.saturating_duration_since(began).as_nanos() / half + 1;
                began + FLASH_HALF_PERIOD * k as u32
            })
            .min()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_flashing_green_begins_dark_and_flashing_amber_lit() {
        let t0 = Instant::now();
        let mut f = Flasher::new(3);
        let steady = [Aspect::Green, Aspect::Red, Aspect::Green];
        f.halves(&steady, t0);
        assert_eq!(f.next(), None, "nothing flashes");
        let t1 = t0 + Duration::from_secs(7);
        let aspects = [Aspect::FlashingGreen, Aspect::FlashingAmber, Aspect::Green];
        // (A steady aspect lights its lamps in either half.)
        assert_eq!(f.halves(&aspects, t1)[..2], [false, true]);
        // Each half lasts FLASH_HALF_PERIOD from the change, then the lamps swap.
        assert_eq!(f.next(), Some(t1 + FLASH_HALF_PERIOD));
        let t2 = t1 + FLASH_HALF_PERIOD;
        assert_eq!(f.halves(&aspects, t2)[..2], [true, false]);
        assert_eq!(f.next(), Some(t2 + FLASH_HALF_PERIOD));
        // A group entering flash later keeps its own cycle.
        let t3 = t2 + Duration::from_millis(100);
        let later = [
            Aspect::FlashingGreen,
            Aspect::FlashingAmber,
            Aspect::FlashingDontWalk,
        ];
        assert_eq!(f.halves(&later, t3), vec![true, false, true]);
        assert_eq!(f.next(), Some(t2 + FLASH_HALF_PERIOD));
        // The groups on a module's own flash function left out, the third's half ends next.
        let t4 = t3 + FLASH_HALF_PERIOD;
        assert_eq!(f.next_among(&[false, false, true]), Some(t4));
        assert_eq!(f.next_among(&[false; 3]), None);
    }

    #[test]
    fn a_half_is_never_skipped_however_late_the_caller_comes_back() {
        let t0 = Instant::now();
        let mut f = Flasher::new(1);
        f.halves(&[Aspect::FlashingDontWalk], t0);
        // Whenever it is asked, the end of the half rendered last is due: in the past, if the
        // caller was busy, so it renders at once instead of jumping a half.
        assert_eq!(f.next(), Some(t0 + FLASH_HALF_PERIOD));
    }
}
