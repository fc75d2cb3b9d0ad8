"""Compare `rootline goroutines analyze --detail` with the golden JSON that
DataDog/gostackparse ships next to its fixtures (../shared/goroutine-dumps-public):
id, state, wait minutes, locked, elided, every frame, creator.
usage: golden_goroutines.py ROOTLINE SHARED_DUMPS_DIR"""
import json, subprocess, sys, glob, os
R = sys.argv[1]; D = sys.argv[2]
bad = 0; checked = 0
for gold in sorted(glob.glob(D + "/gostackparse/*.golden.json")):
    txt = gold.replace(".golden.json", ".txt")
    ours = json.loads(subprocess.run([R, "goroutines", "analyze", "--detail", txt], capture_output=True, check=True).stdout)
    exp = json.load(open(gold))["Goroutines"]
    got = ours["goroutine_list"]
    if len(got) != len(exp): print("COUNT", gold, len(got), len(exp)); bad += 1; continue
    for e, g in zip(exp, got):
        checked += 1
        probs = []
        if e["ID"] != g["id"]: probs.append(("id", e["ID"], g["id"]))
        if e["State"] != g["state"]: probs.append(("state", e["State"], g["state"]))
        if e["Wait"] // 60000000000 != max(g["wait_minutes"], 0): probs.append(("wait", e["Wait"], g["wait_minutes"]))
        if e["LockedToThread"] != g["locked"]: probs.append(("locked",))
        if e["FramesElided"] != g["elided"]: probs.append(("elided", e["FramesElided"], g["elided"]))
        ef = [(f["Func"], f["File"], f["Line"]) for f in e["Stack"]]
        gf = [(f["function"], f["file"], f["line"]) for f in g["frames"]]
        if ef != gf: probs.append(("frames", ef[:3], gf[:3]))
        ec = e.get("CreatedBy"); gc = g["created_by"]
        if (ec is None) != (gc is None) or (ec and (ec["Func"], ec["File"], ec["Line"]) != (gc["function"], gc["file"], gc["line"])):
            probs.append(("created_by", ec, gc))
        if probs: bad += 1; print(os.path.basename(gold), e["ID"], probs)
print(f"{checked - bad} passed, {bad} failed")
sys.exit(1 if bad or not checked else 0)
