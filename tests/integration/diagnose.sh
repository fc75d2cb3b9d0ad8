#!/bin/sh
# diagnose.sh: `rootline diagnose` and `rootline trace` on three ten-day sites,
# one per causal level (data/synth/gen_site.py --scenario, causes and
# distractors described in data/synth/scenarios.py), imported as folders the
# way a site delivers them.  Checks the whole answer: which runs exist, the
# ranking and shares, the departments, centrifuge runs, QC facts, channel
# epochs and provenance, and that no distractor is taken as the cause.  Also
# --as-of, trace = diagnose, stored weights, bad arguments.
. "$(dirname "$0")/lib.inc"
R=$ROOTLINE

for sc in level1 level2 level3; do
  $PY "$RL_SOURCE_DIR/data/synth/gen_site.py" "$WORK/$sc" --scenario $sc --no-hl7 >/dev/null
  expect_rc 0 "$sc: the site imports as a folder" "$R" --store "lmdb:$WORK/st-$sc" import "$RL_SOURCE_DIR/ontology" "$RL_SOURCE_DIR/ontology/clinical" "$WORK/$sc"
  expect_rc 0 "$sc: diagnose --json" "$R" --store "lmdb:$WORK/st-$sc" diagnose --json
  cp "$WORK/out" "$WORK/$sc.json"
done

cat >"$WORK/check.py" <<'PY'
import base64, hashlib, json, sys
sc, path = sys.argv[1], sys.argv[2]
d = json.load(open(path))
fails = 0
def check(cond, what):
    global fails
    print(("ok - " if cond else "FAIL - ") + sc + ": " + what)
    if not cond:
        fails += 1
def md5(s): return hashlib.md5(s.encode()).hexdigest()
def chan_key(mac, ch, ts): return base64.b64encode(("%s|%s|%s" % (mac, ch, ts)).encode()).decode()
runs = d["runs"]
streams = sorted(set(r["stream"]["id"] for r in runs))
def top(r): return r["hypotheses"][0]
def ev_ids(h): return set(i for e in h["evidence"] for i in e["ids"])
def kinds(h): return set(e["kind"] for e in h["evidence"])
for r in runs:
    shares = sum(h["share"] for h in r["hypotheses"])
    check(abs(shares - 1) < 0.01, "%s at %s: the shares sum to 1 (%.3f)" % (r["stream"]["id"], r["detected_at"], shares))
    check(sorted(h["level"] for h in r["hypotheses"]) == [1, 2, 3], "every level has a hypothesis")
    check(all(res["result"] in r["provenance"] and r["provenance"][res["result"]] for res in r["results"]),
          "every result of the run names its source batch")
    check(r["detected_at"] == r["results"][d["min_run"] - 1]["completed"], "detected at the Nth result")
    check(all(x["completed"].endswith("+08:00") for x in r["results"]), "times carry the site offset")
    check(r["weights"]["rules"] == "graph (rl:WeightRule)", "the weight rules come from the graph")

if sc == "level1":
    check(streams == ["CHEM-01/ISE1/K/patient"], "runs only in the ED-affected potassium stream: %s" % streams)
    check(len(runs) == 4, "four runs, one per affected day after the onset (%d)" % len(runs))
    ed = md5("C01|急诊科|0100")
    for r in runs:
        h = top(r)
        check(h["level"] == 1 and h["share"] >= 0.6 and r["explained"], "top: level 1 at %.2f" % h["share"])
        topd = max(r["departments"], key=lambda x: x["specimens"])
        check(topd["key"] == ed, "the department in scope with most specimens is the ED, by its key")
        eds = [x for x in r["results"] if x["department_code"] == "0300"]
        check(len(eds) * 3 >= len(r["results"]) * 2 and all(x["direction"] == "high" for x in r["results"]),
              "at least two thirds of the run from the ED, all high")
        inc = r["centrifuge_runs"]["included"]
        spun = [x for x in inc if x["spun_run_specimens"] and x["deviating"]]
        check(spun and all(x["centrifuge"] == "CF-02" and "rcf_below_sop" in x["deviations"] and x["rcf_g"] < x["sop_min_rcf_g"]
                           for x in spun), "the deviating runs that spun the specimens: CF-02, below the SOP RCF")
        spun_ids = set(i for x in spun for i in x["spun_run_specimens"])
        check(all(x["id"] in spun_ids for x in eds), "every ED specimen of the run was spun in one of them")
        check(all(x["run_id"] in ev_ids(h) for x in spun), "those runs are the evidence")
        check({"centrifugation_deviation", "department_cluster"} <= kinds(h) or "centrifugation_deviation" in kinds(h),
              "evidence: centrifugation (and the department cluster): %s" % sorted(kinds(h)))
        check(all(x["specimen_type"] == "SER" for x in inc), "included runs are of the run's specimen type (SER)")
        exc = r["centrifuge_runs"]["excluded"]
        check(all("reason" in x for x in exc), "excluded runs say why")
        check(not any(q["reject"] for q in r["qc_results"]), "QC of the day in control")
        # distractors
        check(not any("CHEM-CTRL/2/C2411C" in i or "epoch" in i for i in ev_ids(h)), "no QC lot or calibration in the top evidence")
        check(r["channel"]["epoch"]["key"] == chan_key("02:00:5E:33:01:1D", "ISE1", "20241105074000"),
              "the channel epoch in force: the day-4 recalibration, by its key")
        check(not any(x["event"] == "ABORT" for x in spun), "CF-01's abort is not taken as the specimens' deviation")
        ops = [o for o in r["operators"] if o["on_duty_during_run"]]
        check(len(ops) >= 1 and all(o["bench"] == "CHEM" for o in r["operators"]), "the CHEM bench roster of the day")
    d7 = [r for r in runs if r["detected_at"].startswith("2024-11-09")][0]
    cit = [x for x in d7["centrifuge_runs"]["excluded"] if x["specimen_type"] == "CITPLS"]
    check(cit and all(x["reason"].startswith("another specimen type") for x in cit), "citrate runs excluded as another specimen type")
    lots = set(x["lot"] for x in runs[0]["qc_lots"])
    check("C2411C" in lots, "the new CHEM-CTRL level-2 lot is listed as in use: %s" % sorted(lots))
    check(len(d["findings"]["centrifuge_deviations"]) >= 10, "centrifuge deviations are findings of their own")
    check(len(d["findings"]["resample"]) > 0, "unreliable results become resample findings")

if sc == "level2":
    check(streams == ["HEM-02/CH1/PT/QC:COAG-CTRL/2"], "one run, in the PT level-2 QC stream: %s" % streams)
    r = runs[0]
    h = top(r)
    check(h["level"] == 2 and h["share"] >= 0.7 and r["explained"], "top: level 2 at %.2f" % h["share"])
    check({"qc_run", "single_level", "patients_normal", "qc_change_before_run"} <= kinds(h), "evidence: %s" % sorted(kinds(h)))
    tc = [e for e in r["qc_events"] if e["kind"] == "target_change" and e["level"] == "2"]
    check(len(tc) == 1 and tc[0]["target_mean"] == 21.0 and tc[0]["previous_mean"] == 22.68 and tc[0]["at"] == "2024-11-07T07:50:00+08:00",
          "the target edit: 22.68 -> 21.0 at 07:50 on day 6")
    check(tc and tc[0]["iri"] in ev_ids(h), "the edit is the evidence")
    check(all(x["z"] > 2 and x["target_mean"] == 21.0 for x in r["results"]), "every result > 2 SD against the target in force")
    check([x["code"] for x in r["departments"]] == ["0900"] and "host department" in r["departments"][0]["why"],
          "QC-only run: the analyzer's host department is in scope")
    l3 = [x for x in r["hypotheses"] if x["level"] == 3][0]
    check(l3["score"] < 0.3, "the day-5 recalibration (a distractor) stays weak: %.2f" % l3["score"])
    check(len(r["channel"]["setting_changes"]) == 1 and r["channel"]["setting_changes"][0]["parameter"] == "ISI", "the ISI change is listed")
    day = [q for q in r["qc_results"] if q["level"] == "1"]
    check(day and not any(q["reject"] for q in day), "level 1 QC of the day in control")
    check(any(q["reject"] for q in r["qc_results"] if q["level"] == "2"), "level 2 breaks a Westgard rule")
    check(not any(e["kind"] == "target_change" and e["level"] == "1" for e in r["qc_events"]), "the APTT target edit is not PT's")

if sc == "level3":
    check(streams == ["CHEM-01/PH1/GLU/QC:CHEM-CTRL/2", "CHEM-01/PH1/GLU/patient"], "runs only on glucose of PH1: %s" % streams)
    cal = chan_key("02:00:5E:33:01:1D", "PH1", "20241107073000")
    for r in runs:
        h = top(r)
        check(h["level"] == 3 and h["share"] >= 0.7 and r["explained"], "top: level 3 at %.2f" % h["share"])
        check(r["channel"]["epoch"]["key"] == cal and r["channel"]["epoch"]["calibrator_lot"] == "CAL-81", "epoch in force: CAL-81")
        check("urn:rootline:inst:epoch:" + cal.replace("+", "-").replace("/", "_").rstrip("=") in ev_ids(h)
              or any("epoch" in i for i in ev_ids(h)), "the recalibration is the evidence")
        check({"channel_change_before_run", "all_qc_levels_shifted"} <= kinds(h), "evidence: %s" % sorted(kinds(h)))
        check(not any("HEM-02" in i or "CH3" in i for i in ev_ids(h)), "the fibrinogen calibration is not evidence")
        check(not any(e["kind"] == "target_change" for e in r["qc_events"]), "the CREA target edit is not glucose's")
    pr = [r for r in runs if r["stream"]["kind"] == "patient"]
    check(any(len(r["departments"]) >= 2 for r in pr) or any("many_departments" in kinds(top(r)) for r in pr),
          "patients of several departments")
sys.exit(1 if fails else 0)
PY
for sc in level1 level2 level3; do
  $PY "$WORK/check.py" $sc "$WORK/$sc.json" >"$WORK/check.out"; rc=$?
  PASS=$((PASS + $(grep -c '^ok' "$WORK/check.out"))); FAIL=$((FAIL + $(grep -c '^FAIL' "$WORK/check.out")))
  grep '^FAIL' "$WORK/check.out"
  [ "$rc" -le 1 ] || bad "$sc: the checker crashed"
done

# trace = the run diagnose reported
S3="lmdb:$WORK/st-level3"
at=$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["runs"][0]["detected_at"])' "$WORK/level3.json")
expect_rc 0 "trace --stream --at" "$R" --store "$S3" trace --stream CHEM-01/PH1/GLU/patient --at "$at" --json
check "trace gives the same hypotheses as diagnose" $PY -c '
import json, sys
t = json.load(open(sys.argv[1])); d = json.load(open(sys.argv[2]))["runs"][0]
sys.exit(0 if t["hypotheses"] == d["hypotheses"] and t["results"] == d["results"] else 1)' "$WORK/out" "$WORK/level3.json"
expect_rc 2 "trace of an unknown stream" "$R" --store "$S3" trace --stream NO/SUCH/STREAM --at "$at"
contains "$WORK/err" "no stream 'NO/SUCH/STREAM'" "  ... says which"
expect_rc 1 "diagnose --as-of garbage" "$R" --store "$S3" diagnose --as-of yesterday
contains "$WORK/err" "not an ISO 8601 time" "  ... says what was expected"
expect_rc 1 "trace without --at" "$R" --store "$S3" trace --stream CHEM-01/PH1/GLU/patient

# as of a time before the onset: no run; human summary
expect_rc 0 "diagnose --as-of before the recalibration" "$R" --store "$S3" diagnose --as-of 2024-11-07T07:00:00+08:00 --json
check "  ... finds no run" $PY -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1]))["runs"] == [] else 1)' "$WORK/out"
expect_rc 0 "diagnose summary" "$R" --store "$S3" diagnose
contains "$WORK/out" "level 3 channel_calibration" "  ... names the top level"

# stored weights: recomputed as of day 7, then used by the runs detected after
expect_rc 0 "weights --as-of" "$R" --store "$S3" weights --as-of 2024-11-08T12:00:00+08:00 --json
check "  ... level 3 raised by the evidence (GLU beyond its limit after the recalibration)" $PY -c '
import json,sys; w = json.load(open(sys.argv[1])); sys.exit(0 if w["levels"][2]["weight"] == 0.45 and w["levels"][2]["evidence_count"] >= 5 else 1)' "$WORK/out"
"$R" --store "$S3" diagnose --json >"$WORK/after.json"
check "runs detected after it use the stored weights, earlier runs compute their own" $PY -c '
import json,sys
d = json.load(open(sys.argv[1]))["runs"]
late = [r for r in d if r["detected_at"] > "2024-11-08T12"]; early = [r for r in d if r["detected_at"] < "2024-11-08T12"]
sys.exit(0 if late and early and all(r["weights"]["source"] == "stored" for r in late) and all(r["weights"]["source"] != "stored" for r in early) else 1)' "$WORK/after.json"
finish
