#!/usr/bin/python3
"""gen_results.py: result files for the ingest benchmark.

    /usr/bin/python3 bench/gen_results.py FORMAT RESULTS FILES OUTDIR

FORMAT astm: E1381-framed E1394 sessions of analyzer HEM-02 (one patient and
one order per 4 results: PT INR APTT FIB, with masked-at-ingest patient ids
and phones).  oru: HL7 ORU^R01 messages over MLLP (PID with national ID and
phone, PV1, OBR, 4 OBX) of analyzer CHEM-01.  csv: lis_qc_results.csv rows.
RESULTS results in total, spread over FILES files.  Deterministic.
"""
import datetime as dt
import os
import random
import sys

fmt, total, files, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
os.makedirs(out, exist_ok=True)
rnd = random.Random(7)
t0 = dt.datetime(2025, 1, 1, 8, 0, 0)
COAG = [("PT", "s", 11.0, 14.5), ("INR", "{INR}", 0.8, 1.2), ("APTT", "s", 25.0, 37.0), ("FIB", "g/L", 2.0, 4.0)]
CHEM = [("K", "mmol/L", 3.5, 5.3), ("NA", "mmol/L", 137, 147), ("GLU", "mmol/L", 3.9, 6.1), ("CREA", "umol/L", 57, 111)]
per_file = total // files


def ts(t):
    return t.strftime("%Y%m%d%H%M%S")


def frame(fn, rec):
    body = ("%d" % fn).encode() + rec.encode() + b"\r\x03"
    return b"\x02" + body + ("%02X" % (sum(body) % 256)).encode() + b"\r\n"


n = 0
for fi in range(files):
    name = {"astm": "astm_HEM-02_%03d.astm", "oru": "oru_CHEM-01_%03d.hl7", "csv": "lis_qc_results_%03d.csv"}[fmt] % fi
    with open(os.path.join(out, name), "wb") as f:
        if fmt == "astm":
            fn = 1
            f.write(frame(fn, "H|\\^&|||HEM-02^CS-5100^1.0|||||LIS||P|LIS2-A2|%s" % ts(t0)))
        elif fmt == "csv":
            f.write(b"completed,instrument_id,channel_id,test_code,material,level,lot,value,unit,"
                    b"target_mean_in_force,target_sd_in_force,operator_id,qc_id\n")
        k = 0
        while k < per_file:
            n += 1
            t = t0 + dt.timedelta(seconds=n * 7)
            if fmt == "astm":
                recs = ["P|1|110101198001%06d|PAT%08d||Synthetic^P||19800101|M|||||138%08d" % (n % 1000000, n, n % 100000000),
                        "O|1|S%09d||^^^PT\\^^^INR\\^^^APTT\\^^^FIB|R|%s|||||N||||CITPLS" % (n, ts(t))]
                for j, (c, u, lo, hi) in enumerate(COAG, 1):
                    v = round(rnd.uniform(lo * 0.9, hi * 1.1), 1)
                    recs.append("R|%d|^^^%s|%s|%s|%s^%s|%s||F||op01|%s|%s" % (j, c, v, u, lo, hi, "H" if v > hi else "L" if v < lo else "N", ts(t), ts(t + dt.timedelta(seconds=j))))
                for r in recs:
                    fn = (fn + 1) % 8
                    f.write(frame(fn, r))
                k += 4
            elif fmt == "oru":
                seg = ["MSH|^~\\&|LIS|HOSP|RL|HOSP|%s||ORU^R01|M%09d|P|2.5.1|||||CHN|UNICODE UTF-8" % (ts(t), n),
                       "PID|1||110101198001%06d^^^HOSP^NNCHN~PAT%08d^^^HOSP^PI||Synthetic^P||19800101|M|||||138%08d" % (n % 1000000, n, n % 100000000),
                       "PV1|1|I|0300^^^C01",
                       "OBR|1|S%09d|S%09d|LYTES^电解质^L|||%s" % (n, n, ts(t))]
                for j, (c, u, lo, hi) in enumerate(CHEM, 1):
                    v = round(rnd.uniform(lo * 0.9, hi * 1.1), 1)
                    seg.append("OBX|%d|NM|%s^%s^L||%s|%s|%s-%s|%s|||F|||%s||op01||CHEM-01||%s" % (j, c, c, v, u, lo, hi, "H" if v > hi else "L" if v < lo else "N", ts(t), ts(t + dt.timedelta(seconds=j))))
                f.write(("\x0b" + "\r".join(seg) + "\r\x1c\r").encode())
                k += 4
            else:
                c, u, lo, hi = CHEM[n % 4]
                f.write(("%s,CHEM-01,ISE1,%s,CHEM-CTRL,%d,C2410B,%.2f,%s,%.2f,%.2f,op01,QC%09d\n" % (
                    (t.isoformat() + "+08:00"), c, 1 + n % 2, rnd.uniform(lo, hi), u, (lo + hi) / 2, (hi - lo) / 6, n)).encode())
                k += 1
        if fmt == "astm":
            fn = (fn + 1) % 8
            f.write(frame(fn, "L|1|N"))
print(n if fmt == "csv" else n * 4)
