//! Whether a reply answers the request it came for, judged on the frame's contents before
//! anything is taken from it (Modbus Application Protocol v1.1b3, 6.1 to 6.12: a read returns
//! exactly the bits or registers asked for, a write echoes its address and quantity or value).
//!
//! tokio-modbus 0.17's `Reader` and `Writer` methods check these with `debug_assert!`
//! (`client/mod.rs`: `coils.len() >= cnt` for reads of bits, `words.len() == cnt` for reads of
//! registers, the echoed address and quantity of writes): a module answering fewer bits than
//! asked panics a debug build and passes silently in a release build. The link calls
//! `Client::call` instead and judges the raw [`Response`] here, so a malformed reply is an
//! error naming what was wrong, in every build.

use tokio_modbus::{Request, Response};

/// The `count` bits a read of coils or discrete inputs asked for. The reply packs them into
/// whole bytes, so it carries `ceil(count / 8)` bytes, no more and no fewer (6.1, 6.2).
pub fn bits(count: u16, reply: Response) -> Result<Vec<bool>, String> {
    let mut bits = match reply {
        Response::ReadCoils(b) | Response::ReadDiscreteInputs(b) => b,
        other => return Err(unexpected(&other)),
    };
    let bytes = usize::from(count).div_ceil(8);
    if bits.len() != bytes * 8 {
        return Err(format!(
            "the reply carries {} bytes of bits, {count} bits need {bytes}",
            bits.len() / 8
        ));
    }
    bits.truncate(usize::from(count));
    Ok(bits)
}

/// The `count` registers a read of input or holding registers asked for (6.3, 6.4).
pub fn words(count: u16, reply: Response) -> Result<Vec<u16>, String> {
    let words = match reply {
        Response::ReadInputRegisters(w) | Response::ReadHoldingRegisters(w) => w,
        other => return Err(unexpected(&other)),
    };
    if words.len() != usize::from(count) {
        return Err(format!("{} registers came back, not {count}", words.len()));
    }
    Ok(words)
}

/// A write's reply echoes what was written: the address and the quantity (function 15, 16) or
/// the value (function 05, 06) (6.5, 6.6, 6.11, 6.12).
pub fn echo(request: &Request<'_>, reply: &Response) -> Result<(), String> {
    let (asked, echoed) = match (request, reply) {
        (Request::WriteMultipleCoils(a, v), Response::WriteMultipleCoils(ra, rn)) => {
            ((*a, v.len()), (*ra, usize::from(*rn)))
        }
        (Request::WriteMultipleRegisters(a, v), Response::WriteMultipleRegisters(ra, rn)) => {
            ((*a, v.len()), (*ra, usize::from(*rn)))
        }
        (Request::WriteSingleRegister(a, w), Response::WriteSingleRegister(ra, rw)) => {
            ((*a, usize::from(*w)), (*ra, usize::from(*rw)))
        }
        (Request::WriteSingleCoil(a, c), Response::WriteSingleCoil(ra, rc)) => {
            ((*a, usize::from(*c)), (*ra, usize::from(*rc)))
        }
        (_, other) => return Err(unexpected(other)),
    };
    if asked != echoed {
        return Err(format!(
            "the reply echoes address {} and {}, not {} and {}",
            echoed.0, echoed.1, asked.0, asked.1
        ));
    }
    Ok(())
}

fn unexpected(reply: &Response) -> String {
    format!("a reply of another kind came back: {reply:?}")
}

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use super::*;

    #[test]
    fn a_read_of_bits_takes_exactly_the_bytes_it_needs() {
        let two_bytes = vec![true; 16];
        assert_eq!(
            bits(12, Response::ReadDiscreteInputs(two_bytes.clone())),
            Ok(vec![true; 12])
        );
        assert_eq!(
            bits(16, Response::ReadCoils(two_bytes.clone())),
            Ok(vec![true; 16])
        );
        // Fewer bits than asked: one byte for twelve inputs.
        let short = bits(12, Response::ReadDiscreteInputs(vec![false; 8])).unwrap_err();
        assert!(short.contains("1 bytes of bits, 12 bits need 2"), "{short}");
        // No bytes at all, and a byte too many.
        assert!(bits(3, Response::ReadDiscreteInputs(Vec::new())).is_err());
        assert!(bits(8, Response::ReadDiscreteInputs(two_bytes)).is_err());
    }

    #[test]
    fn a_read_of_registers_takes_exactly_as_many_as_asked() {
        assert_eq!(
            words(2, Response::ReadInputRegisters(vec![1, 2])),
            Ok(vec![1, 2])
        );
        let short = words(3, Response::ReadHoldingRegisters(vec![1, 2])).unwrap_err();
        assert_eq!(short, "2 registers came back, not 3");
        assert!(words(1, Response::ReadDiscreteInputs(vec![true; 8])).is_err());
    }

    #[test]
    fn a_write_is_answered_by_its_echo() {
        let coils = [true, false, true];
        let write = Request::WriteMultipleCoils(4, Cow::Borrowed(&coils));
        assert_eq!(echo(&write, &Response::WriteMultipleCoils(4, 3)), Ok(()));
        let wrong = echo(&write, &Response::WriteMultipleCoils(4, 2)).unwrap_err();
        assert_eq!(wrong, "the reply echoes address 4 and 2, not 4 and 3");
        assert!(echo(&write, &Response::WriteMultipleCoils(5, 3)).is_err());
        let register = Request::WriteSingleRegister(4096, 25);
        assert_eq!(
            echo(&register, &Response::WriteSingleRegister(4096, 25)),
            Ok(())
        );
        assert!(echo(&register, &Response::WriteSingleRegister(4096, 24)).is_err());
        assert!(echo(&register, &Response::WriteMultipleRegisters(4096, 1)).is_err());
    }
}
