#!/usr/bin/python3
"""gen_site.py: a synthetic hospital laboratory site, deterministic for a seed.

    /usr/bin/python3 data/synth/gen_site.py OUTDIR [--days 10] [--seed 1]
        [--specimens-per-day 40] [--start 2024-11-01] [--no-hl7]

Writes what the pilot site exports (../shared/formats/pilot-site-exports.md):
the HIS department master, LIS masters, instruments, calibrations, settings
changes, roster, QC lots/targets/events/results/review log, reference
interval changes, specimens, centrifuges and their runs, maintenance (the 17
CSV exports), one ASTM E1381/E1394 session per analyzer and day, and HL7 v2
files: MFN^M05 departments, MFN^M08/M10 tests and panels, ADT^A01 admissions
and ORU^R01 results of the chemistry analyzer on the first day (the same
results its ASTM session carries: they must land on the same nodes).

With --scenario level1|level2|level3, plants one cause at one level of the
causal trace, with distractors (data/synth/scenarios.py says which); patients'
values are then quiet and specimens arrive in batches by department.

With --expect FILE, also writes the counts the tests check (results per
analyzer, QC results, specimens, departments...).  Times are +08:00.
Everything here is invented: names, ids and phone numbers are synthetic.
"""
import argparse
import csv
import datetime as dt
import io
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenarios  # noqa: E402

TZ = dt.timezone(dt.timedelta(hours=8))

DEPTS = [  # campus, code, full name, english, parent, type
    ("C01", "0100", "本院", "Main campus", "", "L"),
    ("C01", "0900", "检验科", "Laboratory medicine", "0100", "D"),
    ("C01", "0200", "心内科", "Cardiology", "0100", "D"),
    ("C01", "0201", "心内科一病区", "Cardiology ward 1", "0200", "W"),
    ("C01", "0300", "急诊科", "Emergency", "0100", "D"),
    ("C01", "0400", "呼吸内科（东区）", "Respiratory medicine (east)", "0100", "D"),
    ("C01", "0500", "肾内科", "Nephrology", "0100", "D"),
]
ORDERING = ["0201", "0300", "0400", "0500"]

TESTS = [  # code, loinc, display, local name, unit, low, high, method, bench, mean, sd
    ("PT", "5902-2", "Prothrombin time (PT)", "凝血酶原时间", "s", 11.0, 14.5, "凝固法", "COAG", 12.6, 0.6),
    ("INR", "6301-6", "INR", "国际标准化比值", "{INR}", 0.8, 1.2, "凝固法", "COAG", 1.0, 0.06),
    ("APTT", "3173-2", "aPTT", "活化部分凝血活酶时间", "s", 25.0, 37.0, "凝固法", "COAG", 31.0, 2.0),
    ("FIB", "3255-7", "Fibrinogen", "纤维蛋白原", "g/L", 2.0, 4.0, "凝固法", "COAG", 3.0, 0.4),
    ("K", "2823-3", "Potassium", "钾", "mmol/L", 3.5, 5.3, "ISE", "CHEM", 4.2, 0.3),
    ("NA", "2951-2", "Sodium", "钠", "mmol/L", 137, 147, "ISE", "CHEM", 141, 2.0),
    ("GLU", "2345-7", "Glucose", "葡萄糖", "mmol/L", 3.9, 6.1, "己糖激酶法", "CHEM", 5.2, 0.5),
    ("CREA", "14682-9", "Creatinine", "肌酐", "umol/L", 57, 111, "酶法", "CHEM", 80, 10),
]
PANELS = [  # code, name, english, method, unit, members, specimen type
    ("COAG4", "凝血四项", "Coagulation panel", "凝固法", "秒", ["PT", "INR", "APTT", "FIB"], "CITPLS"),
    ("LYTES", "电解质", "Electrolytes", "ISE", "mmol/L", ["K", "NA"], "SER"),
    ("RENAL", "肾功能", "Renal panel", "酶法", "umol/L", ["CREA", "GLU"], "SER"),
]
INSTRUMENTS = [  # id, model, serial, mac, host dept, channels [(id, tests)], panels
    ("HEM-02", "CS-5100", "SN51000231", "02:00:5E:33:01:0C", "0900",
     [("CH1", ["PT", "INR"]), ("CH2", ["APTT"]), ("CH3", ["FIB"])], ["COAG4"]),
    ("CHEM-01", "AU5800", "SN58000877", "02-00-5e-33-01-1d", "0900",
     [("ISE1", ["K", "NA"]), ("PH1", ["GLU", "CREA"])], ["LYTES", "RENAL"]),
]
QC = {"HEM-02": ("COAG-CTRL", "L2411A"), "CHEM-01": ("CHEM-CTRL", "C2410B")}
CENTRIFUGES = [("CF-01", "0900", "Heraeus X3", 16.8, 1500, 1300), ("CF-02", "0300", "TD5A", 15.0, 1500, 1300)]
OPERATORS = ["op01", "op02", "op03", "op04"]


def iso(t):
    return t.isoformat(timespec="seconds")


def ts14(t):
    return t.strftime("%Y%m%d%H%M%S")


def write_csv(path, header, rows):
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)


def astm_frames(records):
    """E1381 framing: one record per frame, frame numbers 1..7,0,..."""
    out = bytearray()
    fn = 1
    for rec in records:
        body = ("%d" % fn).encode() + rec.encode("utf-8") + b"\r\x03"
        cs = sum(body) % 256
        out += b"\x02" + body + ("%02X" % cs).encode() + b"\r\n"
        fn = (fn + 1) % 8
    return bytes(out)


def hl7(segments):
    return "\r".join(segments) + "\r"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--days", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--specimens-per-day", type=int, default=40)
    ap.add_argument("--start", default="2024-11-01")
    ap.add_argument("--no-hl7", action="store_true")
    ap.add_argument("--scenario", choices=sorted(scenarios.SCENARIOS), help="plant a cause (see scenarios.py)")
    ap.add_argument("--expect", help="write the expected counts (JSON) here, outside OUTDIR")
    a = ap.parse_args()
    rnd = random.Random(a.seed)
    os.makedirs(a.outdir, exist_ok=True)
    out = lambda name: os.path.join(a.outdir, name)
    start = dt.datetime.fromisoformat(a.start).replace(tzinfo=TZ)
    tests = {t[0]: t for t in TESTS}
    sc = scenarios.make(a.scenario, start)
    exp = {"results": {}, "qc_results": 0, "specimens": 0, "departments": len(DEPTS),
           "tests": len(TESTS), "panels": len(PANELS), "channels": sum(len(i[5]) for i in INSTRUMENTS),
           "astm_files": 0, "oru_results": 0}

    # ---- masters ----
    write_csv(out("his_departments.csv"),
              ["campus_id", "dept_code", "full_name", "english_name", "parent_dept_code", "location_type"], DEPTS)
    write_csv(out("lis_tests.csv"),
              ["test_code", "loinc", "loinc_display", "local_name", "ucum_unit", "ref_low", "ref_high", "method", "bench"],
              [t[:9] for t in TESTS])
    write_csv(out("lis_panels.csv"),
              ["panel_code", "panel_name", "english_name", "method", "ref_interval_unit", "member_tests", "member_loinc", "specimen_type"],
              [(p[0], p[1], p[2], p[3], p[4], " ".join(p[5]), " ".join(tests[m][1] for m in p[5]), p[6]) for p in PANELS])
    write_csv(out("instruments.csv"),
              ["instrument_id", "model", "serial", "mac", "host_dept_code", "channel_id", "test_codes"],
              [(i[0], i[1], i[2], i[3], i[4], ch, " ".join(ts)) for i in INSTRUMENTS for ch, ts in i[5]])
    write_csv(out("centrifuges.csv"),
              ["centrifuge_id", "dept_code", "model", "rotor_radius_cm", "sop_min_rcf_g_citrate", "sop_min_rcf_g_serum"],
              CENTRIFUGES)
    cal = []
    for i in INSTRUMENTS:
        for ch, _ in i[5]:
            t = start - dt.timedelta(days=3) + dt.timedelta(hours=7, minutes=30)
            cal.append((i[0], i[3], ch, ts14(t), "R-%s-01" % i[0][:3], "CAL-77", "1.02" if i[0] == "HEM-02" else "", "12.4" if ch == "CH1" else "", "op01", "initial"))
    # a recalibration of HEM-02 CH1 on day 5
    t5 = start + dt.timedelta(days=5, hours=7, minutes=45)
    cal.append(("HEM-02", "02:00:5E:33:01:0C", "CH1", ts14(t5), "R-HEM-02", "CAL-78", "1.05", "12.1", "op02", "reagent lot change"))
    if sc:
        cal += sc.calibrations(iso, ts14)
    write_csv(out("instrument_calibration_events.csv"),
              ["instrument_id", "mac", "channel_id", "calibration_ts", "reagent_lot", "calibrator_lot", "isi_configured", "mnpt_configured_s", "operator_id", "note"], cal)
    write_csv(out("instrument_config_events.csv"),
              ["timestamp", "instrument_id", "channel_id", "parameter", "old_value", "new_value", "operator_id", "note"],
              [(iso(t5 + dt.timedelta(minutes=10)), "HEM-02", "CH1", "ISI", "1.02", "1.05", "op02", "new thromboplastin lot")])
    lots, targets, lot_events = [], [], []
    for inst, (mat, lot) in QC.items():
        for lvl in ("1", "2"):
            lots.append((mat, lvl, lot, "2025-06-30", "12.1" if mat == "COAG-CTRL" else "", iso(start - dt.timedelta(days=20)), ""))
            lot_events.append((iso(start - dt.timedelta(days=20)), mat, lvl, lot, "IN_USE", "op01", ""))
            for code, *_ in [t for t in TESTS if t[8] == ("COAG" if mat == "COAG-CTRL" else "CHEM")]:
                mean, sd = tests[code][9], tests[code][10]
                if lvl == "2":
                    mean = round(mean * 1.8, 2)
                targets.append((code, mat, lvl, lot, mean, sd, iso(start - dt.timedelta(days=20)), "", "manufacturer", "op01"))
    if sc:
        targets = sc.targets(targets, iso)
        lots, lot_events = sc.lots(lots, lot_events, iso)
    write_csv(out("lis_qc_lots.csv"), ["material", "level", "lot", "expiry", "manufacturer_insert_mean_PT_or_K", "in_use_from", "in_use_to"], lots)
    write_csv(out("lis_qc_targets.csv"), ["test_code", "material", "level", "lot", "target_mean", "target_sd", "effective_from", "effective_to", "source", "entered_by"], targets)
    write_csv(out("lis_qc_lot_events.csv"), ["timestamp", "material", "level", "lot", "event", "operator_id", "note"], lot_events)
    write_csv(out("lis_reference_interval_changes.csv"),
              ["effective_from", "test_code", "old_low", "old_high", "new_low", "new_high", "unit", "entered_by", "reason"],
              [(iso(start + dt.timedelta(days=2)), "K", "3.5", "5.5", "3.5", "5.3", "mmol/L", "op03", "harmonised interval")])

    # ---- days ----
    roster, specimens, qc_rows, reviews, runs, maint = [], [], [], [], [], []
    oru_done = False
    run_no = 0
    pat_no = 0
    for d in range(a.days):
        day = start + dt.timedelta(days=d)
        for bench in ("COAG", "CHEM"):
            for shift, s, e in (("D", "08:00", "16:00"), ("N", "16:00", "24:00")):
                roster.append((day.date().isoformat(), bench, shift, s, e, OPERATORS[(d + (shift == "N") + (bench == "CHEM")) % 4]))
        maint.append((iso(day + dt.timedelta(hours=7)), "HEM-02", "0900", "daily cleaning", "op01"))
        # centrifuge runs: every 2 hours per centrifuge
        day_runs = []
        for cf in CENTRIFUGES:
            for h in range(8, 20, 2):
                run_no += 1
                rid = "R%06d" % run_no
                t = day + dt.timedelta(hours=h, minutes=5)
                stype = "CITPLS" if h % 4 == 0 else "SER"
                rpm = 3000 + rnd.randint(-20, 20)
                rcf = round(1.118e-5 * cf[3] * rpm * rpm, 1)
                row = (rid, cf[0], cf[1], iso(t), "P1", stype, 3000, rpm, cf[3], rcf, 10, 22.0, "", "")
                for r in (sc.centrifuge(row, t) if sc else [row]):
                    runs.append(r)
                    if r[12] != "ABORT":  # specimens of an aborted run go with its re-spin
                        day_runs.append((r[0], r[1], dt.datetime.fromisoformat(r[3]), r[5]))
        for inst in INSTRUMENTS:
            iid = inst[0]
            recs = ["H|\\^&|||%s^%s^1.0|||||LIS||P|LIS2-A2|%s" % (iid, inst[1], ts14(day + dt.timedelta(hours=7)))]
            seq_p = 0
            n_results = 0
            panel = [p for p in PANELS if p[0] in inst[6]]
            oru_msgs = []
            # QC at 08:00 and 14:00, both levels
            mat, lot0 = QC[iid]
            for hh in (8, 14):
                for lvl in ("1", "2"):
                    lot = sc.qc_lot(iid, mat, lot0, lvl, day + dt.timedelta(hours=hh)) if sc else lot0
                    qid = "QC-%s-%s%02d-L%s" % (iid, day.strftime("%m%d"), hh, lvl)
                    seq_p += 1
                    recs.append("P|%d" % seq_p)
                    codes = [c for p in panel for c in p[5]]
                    recs.append("O|1|%s||%s|R|%s|||||Q||||CTRL^%s^%s" % (qid, "\\".join("^^^" + c for c in codes), ts14(day + dt.timedelta(hours=hh)), mat, lvl))
                    recs.append("C|1|I|LOT^%s|G" % lot)
                    for k, c in enumerate(codes, 1):
                        mean, sd = tests[c][9], tests[c][10]
                        if lvl == "2":
                            mean = mean * 1.8
                        v = round(rnd.gauss(mean, sd * 0.8), 2)
                        done = day + dt.timedelta(hours=hh, minutes=6 + k)
                        tmean, tsd = round(mean, 2), sd
                        if sc:
                            v = round(sc.qc(v, c, iid, lvl, done), 2)
                            tmean, tsd = sc.target_in_force(c, mat, lvl, lot, done, tmean, tsd)
                        recs.append("R|%d|^^^%s|%s|%s||N||F||%s|%s|%s" % (k, c, v, tests[c][4], OPERATORS[d % 4], ts14(done - dt.timedelta(minutes=4)), ts14(done)))
                        qc_rows.append((iso(done), iid, [ch for ch, ts in inst[5] if c in ts][0], c, mat, lvl, lot, v, tests[c][4], tmean, tsd, OPERATORS[d % 4], qid))
                        n_results += 1
                        exp["qc_results"] += 1
            reviews.append((iso(day + dt.timedelta(hours=8, minutes=30)), iid, "", " ".join("QC-%s-%s08-L%s" % (iid, day.strftime("%m%d"), l) for l in "12"), "accepted", OPERATORS[d % 4], ""))
            mat, lot = QC[iid]
            # patients
            for sp in range(a.specimens_per_day):
                pat_no += 1
                p = panel[sp % len(panel)]
                sid = "S%s%s%04d" % (iid[:1], day.strftime("%y%m%d"), sp)
                dept = ORDERING[(sp // 8 if sc else sp) % len(ORDERING)]
                collected = day + dt.timedelta(hours=8, minutes=10 + sp * 9)
                received = collected + dt.timedelta(minutes=25)
                # with a scenario, each ward's specimens go to its own centrifuge (the ED has CF-02)
                own = ("CF-02" if dept == "0300" else "CF-01") if sc else None
                run = [r for r in day_runs if r[3] == p[6] and r[2] >= received and (not own or r[1] == own)]
                run = run[0] if run else None
                specimens.append((sid, "PAT%06d" % pat_no, "C01", dept, p[0], p[6], iso(collected), iso(received),
                                  run[0] if run else "", run[1] if run else "", iso(run[2]) if run else ""))
                exp["specimens"] += 1
                seq_p += 1
                phone = "138%08d" % rnd.randint(0, 99999999)
                natid = "110101%04d%02d%02d%03d%d" % (rnd.randint(1940, 2005), rnd.randint(1, 12), rnd.randint(1, 28), rnd.randint(0, 999), rnd.randint(0, 9))
                recs.append("P|%d|%s|PAT%06d||Synthetic^Patient%d||19800101|M|||||%s" % (seq_p, natid, pat_no, pat_no, phone))
                recs.append("O|1|%s||%s|R|%s|||||N||||%s" % (sid, "\\".join("^^^" + c for c in p[5]), ts14(collected), p[6]))
                for k, c in enumerate(p[5], 1):
                    lo, hi = tests[c][5], tests[c][6]
                    if sc:  # a healthy spread, a few single abnormal results
                        v = rnd.gauss((lo + hi) / 2, (hi - lo) / 10) if rnd.random() > 0.03 else rnd.choice((lo * 0.85, hi * 1.15))
                        v = round(sc.patient(v, c, iid, dept, received, run), 1)
                    else:
                        v = round(rnd.uniform(lo * 0.9, hi * 1.1), 1)
                    flag = "H" if v > hi else "L" if v < lo else "N"
                    status = "F"
                    val = str(v)
                    if sp == 7 and k == 1 and d % 3 == 0:  # an analyzer-flagged unreliable result
                        val, status = "-----", "X"
                    done = received + dt.timedelta(minutes=40 + k)
                    if sc and run:  # analysed after its centrifuge run
                        done = max(done, run[2] + dt.timedelta(minutes=35 + k, seconds=sp * 20))
                    recs.append("R|%d|^^^%s|%s|%s|%s^%s|%s||%s||%s|%s|%s" % (k, c, val, tests[c][4], lo, hi, flag if status == "F" else "", status, OPERATORS[d % 4], ts14(done - dt.timedelta(minutes=3)), ts14(done)))
                    n_results += 1
                    if iid == "CHEM-01" and d == 0 and not a.no_hl7:
                        oru_msgs.append((sid, p, c, val, tests[c], flag, status, done, collected, dept, natid, phone, pat_no))
                        exp["oru_results"] += 1
            recs.append("L|1|N")
            with open(out("astm_%s_%s.astm" % (iid, day.strftime("%Y%m%d"))), "wb") as f:
                f.write(astm_frames(recs))
            exp["astm_files"] += 1
            exp["results"][iid] = exp["results"].get(iid, 0) + n_results
            if oru_msgs and not oru_done:
                oru_done = True
                msgs = []
                for n, (sid, p, c, val, t, flag, status, done, collected, dept, natid, phone, pno) in enumerate(oru_msgs):
                    msgs.append(hl7([
                        "MSH|^~\\&|LIS|HOSP|RL|HOSP|%s||ORU^R01|ORU%05d|P|2.5.1|||||CHN|UNICODE UTF-8" % (ts14(done), n),
                        "PID|1||%s^^^HOSP^NNCHN~PAT%06d^^^HOSP^PI||Synthetic^Patient%d||19800101|M|||||%s" % (natid, pno, pno, phone),
                        "PV1|1|I|%s^^^C01" % dept,
                        "ORC|RE|%s" % sid,
                        "OBR|1|%s|%s|%s^%s^L|||%s" % (sid, sid, p[0], p[1], ts14(collected)),
                        "OBX|1|NM|%s^%s^L~%s^%s^LN||%s|%s^^UCUM|%s-%s|%s|||%s|||%s||||%s^CHEM-01||%s" % (
                            c, t[3], t[1], t[2], val, t[4], t[5], t[6], flag if status == "F" else "", status,
                            ts14(done), "CHEM-01", ts14(done)),
                    ]))
                with open(out("oru_CHEM-01_%s.hl7" % day.strftime("%Y%m%d")), "w", encoding="utf-8") as f:
                    f.write("\x0b" + "\x1c\r\x0b".join(msgs) + "\x1c\r")
    write_csv(out("lis_operator_roster.csv"), ["date", "bench", "shift", "start", "end", "operator_id"], roster)
    write_csv(out("lis_specimens.csv"),
              ["specimen_id", "patient_id_synthetic", "campus_id", "ordering_dept_code", "panel_codes", "specimen_type", "collected_at", "received_at", "centrifuge_run_id", "centrifuge_id", "centrifuged_at"], specimens)
    write_csv(out("lis_qc_results.csv"),
              ["completed", "instrument_id", "channel_id", "test_code", "material", "level", "lot", "value", "unit", "target_mean_in_force", "target_sd_in_force", "operator_id", "qc_id"], qc_rows)
    write_csv(out("lis_qc_review_log.csv"), ["timestamp", "instrument_id", "test_code", "qc_ids", "action", "operator_id", "comment"], reviews)
    write_csv(out("equipment_centrifuge_log.csv"),
              ["run_id", "centrifuge_id", "dept_code", "start", "program", "specimen_type", "set_rpm", "measured_rpm", "rotor_radius_cm", "rcf_g", "duration_min", "temp_c", "event", "note"], runs)
    write_csv(out("equipment_maintenance_log.csv"), ["timestamp", "equipment_id", "dept_code", "action", "performed_by"], maint)

    if not a.no_hl7:
        stamp = ts14(start - dt.timedelta(days=1))
        seg = ["MSH|^~\\&|HIS|HOSP|RL|HOSP|%s||MFN^M05|MFN0001|P|2.5.1|||||CHN|UNICODE UTF-8" % stamp, "MFI|LOC^Location Master||UPD|||NE"]
        for campus, code, name, en, parent, typ in DEPTS:
            seg.append("MFE|MAD|||%s^^^%s" % (code, campus))
            seg.append("LOC|%s^^^%s|%s|%s" % (code, campus, name, typ))
            if parent:
                seg.append("LRL|%s^^^%s|||LR||%s^^^%s" % (code, campus, parent, campus))
        with open(out("mfn_m05_departments.hl7"), "w", encoding="utf-8") as f:
            f.write(hl7(seg))
        seg = ["MSH|^~\\&|LIS|HOSP|RL|HOSP|%s||MFN^M08|MFN0002|P|2.5.1|||||CHN|UNICODE UTF-8" % stamp, "MFI|OMA^Numerical Observation||UPD|||NE"]
        for t in TESTS:
            seg.append("MFE|MAD|||%s^%s^L" % (t[0], t[3]))
            seg.append("OM1|1|%s^%s^L~%s^%s^LN||Y|LIS|||||||||%s^%s||||A" % (t[0], t[3], t[1], t[2], t[7], t[7]))
            seg.append("OM2|1|%s^^UCUM||%s-%s" % (t[4], t[5], t[6]))
        with open(out("mfn_m08_tests.hl7"), "w", encoding="utf-8") as f:
            f.write(hl7(seg))
        seg = ["MSH|^~\\&|LIS|HOSP|RL|HOSP|%s||MFN^M10|MFN0003|P|2.5.1|||||CHN|UNICODE UTF-8" % stamp, "MFI|OMD^Batteries||UPD|||NE"]
        for p in PANELS:
            seg.append("MFE|MAD|||%s^%s^L" % (p[0], p[1]))
            seg.append("OM1|1|%s^%s^L||Y|LIS|||||||||%s^%s||||P" % (p[0], p[1], p[3], p[3]))
            seg.append("OM5|1|%s" % "~".join("%s^%s^L" % (m, tests[m][3]) for m in p[5]))
        with open(out("mfn_m10_panels.hl7"), "w", encoding="utf-8") as f:
            f.write(hl7(seg))
        seg = []
        for n, (campus, code) in enumerate((("C01", "0201"), ("C01", "0300"))):
            seg.append("MSH|^~\\&|HIS|HOSP|RL|HOSP|%s||ADT^A01|ADT%04d|P|2.5.1|||||CHN|UNICODE UTF-8" % (stamp, n))
            seg.append("PID|1||11010119800101%04d^^^HOSP^NNCHN||Synthetic^Adt%d||19800101|F|||||13900001234" % (n, n))
            seg.append("PV1|1|I|%s^^^%s" % (code, campus))
        with open(out("adt_a01.hl7"), "w", encoding="utf-8") as f:
            f.write(hl7(seg))
    if a.expect:
        with open(a.expect, "w") as f:
            json.dump(exp, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
