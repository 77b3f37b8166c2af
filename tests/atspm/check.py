"""Feeds greenwave event logs and a detector configuration to the `atspm` package (PyPI) and
prints what it makes of them as JSON, for tests/atspm_check.rs to compare with greenwave's own
figures.

Usage: check.py LOG_DIR DETECTORS_CSV [LATENCY_OFFSET_S]

LOG_DIR holds one `DEVICE.csv` per intersection: `timestamp,event code,parameter` lines (the
Indiana hi-res format). Prints {"lines", "loaded", "bad_lines", "unknown_codes", "actuations",
"coordination", "arrival_on_green", "split_failures"}, measures in 15-minute bins.
"""

import json
import pathlib
import sys

import pandas as pd
from atspm import SignalDataProcessor

# Event codes defined by the Indiana Traffic Signal Hi Resolution Data Logger Enumerations
# (2012, revised by TPF-5(377) in 2019): anything else in a log is an unknown code.
DEFINED = (
    set(range(0, 27))
    | set(range(31, 34))
    | set(range(41, 57))
    | set(range(61, 73))
    | set(range(81, 95))
    | set(range(101, 120))
    | set(range(131, 157))
    | set(range(171, 183))
    | {184}
)


def read_logs(log_dir):
    frames, lines, bad = [], 0, []
    for path in sorted(pathlib.Path(log_dir).glob("*.csv")):
        text = path.read_text().splitlines()
        lines += len(text)
        frame = pd.read_csv(path, header=None, names=["TimeStamp", "EventId", "Parameter"])
        frame["TimeStamp"] = pd.to_datetime(
            frame["TimeStamp"], format="%Y-%m-%d %H:%M:%S.%f", errors="coerce"
        )
        broken = frame[frame.isna().any(axis=1)]
        bad += [f"{path.name}:{i + 1}" for i in broken.index]
        frame = frame.dropna()
        # Events of one tenth of a second keep the order they were written in: the package
        # orders by time alone, and would otherwise read a detector's off and on in the same
        # tenth (one vehicle leaving the loop, the next arriving) either way round.
        tie = frame.groupby("TimeStamp").cumcount()
        frame["TimeStamp"] = frame["TimeStamp"] + pd.to_timedelta(tie, unit="us")
        frame["DeviceId"] = path.stem
        frames.append(frame)
    raw = pd.concat(frames, ignore_index=True)
    raw = raw.astype({"EventId": "int64", "Parameter": "int64"})
    return raw[["TimeStamp", "DeviceId", "EventId", "Parameter"]], lines, bad


def records(conn, table):
    frame = conn.execute(f"SELECT * FROM {table}").df()
    for column in frame.columns:
        if pd.api.types.is_datetime64_any_dtype(frame[column]):
            frame[column] = frame[column].dt.strftime("%Y-%m-%d %H:%M:%S")
    return json.loads(frame.to_json(orient="records"))


def coordination(raw, config):
    """The pattern (131) and cycle length (132) in force per bin, as the package's timeline
    reads them; on their own processor, as the timeline needs `has_data`, which would also
    filter the other measures."""
    processor = SignalDataProcessor(
        raw_data=raw,
        detector_config=config,
        bin_size=15,
        verbose=0,
        aggregations=[
            {"name": "has_data", "params": {"no_data_min": 5, "min_data_points": 3}},
            {"name": "timeline", "params": {"cushion_time": 0, "min_duration": 0}},
            {"name": "coordination_agg", "params": {}},
        ],
    )
    try:
        processor.load()
        processor.aggregate()
        return records(processor.conn, "coordination_agg")
    finally:
        processor.close()


def main():
    log_dir, detectors = sys.argv[1], sys.argv[2]
    latency = float(sys.argv[3]) if len(sys.argv) > 3 else 0.0
    raw, lines, bad = read_logs(log_dir)
    config = pd.read_csv(detectors)[["DeviceId", "Phase", "Parameter", "Function"]]
    unknown = sorted(int(c) for c in set(raw["EventId"]) - DEFINED)
    processor = SignalDataProcessor(
        raw_data=raw,
        detector_config=config,
        bin_size=15,
        verbose=0,
        aggregations=[
            {"name": "actuations", "params": {}},
            {"name": "arrival_on_green", "params": {"latency_offset_seconds": latency}},
            # By approach: the package's per-lane split failures (by_approach False) come out
            # empty in 2.6.1, on its own sample data too.
            {
                "name": "split_failures",
                "params": {
                    "red_time": 5,
                    "red_occupancy_threshold": 0.80,
                    "green_occupancy_threshold": 0.80,
                    "by_approach": True,
                },
            },
        ],
    )
    try:
        processor.load()
        loaded = processor.conn.execute("SELECT COUNT(*) FROM raw_data").fetchone()[0]
        processor.aggregate()
        result = {
            "lines": lines,
            "loaded": int(loaded),
            "bad_lines": bad,
            "unknown_codes": unknown,
            "actuations": records(processor.conn, "actuations"),
            "coordination": coordination(raw, config),
            "arrival_on_green": records(processor.conn, "arrival_on_green"),
            "split_failures": records(processor.conn, "split_failures"),
        }
    finally:
        processor.close()
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
