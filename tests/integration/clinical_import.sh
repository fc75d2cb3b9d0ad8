#!/bin/sh
# clinical_import.sh: HIS / LIS / instrument records through `rootline import`:
# every public sample (../shared/clinical-samples) imports with its results
# counted independently, or is refused with a clear error; the ten-day
# synthetic site (data/synth/gen_site.py: HIS, LIS masters, daily ASTM
# sessions of two analyzers, HL7, the 17 CSV exports) imported as a folder,
# counted, queried across the three levels; masking; idempotence; the same
# graph whatever the files' names and order; --keep-going and reject reports;
# GB18030 HL7 landing on the same department as the UTF-8 CSV.
. "$(dirname "$0")/lib.inc"
R=$ROOTLINE
S="$RL_SHARED_DIR/clinical-samples"
P='PREFIX clin: <https://w3id.org/rootline/clinical/clin#> PREFIX lab: <https://w3id.org/rootline/clinical/lab#> PREFIX inst: <https://w3id.org/rootline/clinical/inst#> PREFIX rl: <https://w3id.org/rootline/core#> PREFIX org: <http://www.w3.org/ns/org#>'

# results per batch, from an N-Quads export: "file results" lines
cat >"$WORK/per_file.py" <<'PY'
import re, sys, collections
res = collections.Counter(); files = {}
rx = re.compile(r'^(<[^>]*>|_:\S+) <([^>]*)> (.*) <([^>]*)> \.$')
for line in open(sys.argv[1], encoding="utf-8"):
    m = rx.match(line.rstrip("\n"))
    if not m: continue
    s, p, o, g = m.groups()
    if p.endswith("22-rdf-syntax-ns#type") and o == "<https://w3id.org/rootline/clinical/lab#Result>":
        res[g] += 1
    if p == "http://www.w3.org/ns/prov#wasDerivedFrom" and o.startswith("<file:"):
        files[s.strip("<>")] = o.strip("<>")
for g, f in sorted(files.items(), key=lambda x: x[1]):
    print(f.rsplit("/", 1)[-1], res.get(g, 0))
PY
# R records of an ASTM file / OBX segments of an HL7 file, counted from the raw bytes
cat >"$WORK/count_src.py" <<'PY'
import re, sys
data = open(sys.argv[1], "rb").read()
if sys.argv[2] == "astm":
    # records start after CR/LF or after STX + frame number
    n = len(re.findall(rb'(?:^|[\r\n]|\x02[0-7])R\|', data))
else:
    n = len(re.findall(rb'(?:^|[\r\n])OBX\|', data))
print(n)
PY

# ---- public samples, one store each ----
for f in "$S"/astm/*.astm "$S"/hl7v2/*.hl7; do
  b=$(basename "$f")
  kind=astm; case "$b" in *.hl7) kind=hl7;; esac
  st="lmdb:$WORK/s-$b"
  expect_rc 0 "sample $b imports" "$R" --store "$st" import "$f"
  "$R" --store "$st" export -o "$WORK/s.nq" >/dev/null 2>&1
  got=$($PY "$WORK/per_file.py" "$WORK/s.nq" | awk '{print $2}')
  want=$($PY "$WORK/count_src.py" "$f" $kind)
  check "  ... $b: $got result nodes for $want source result records" test "$got" = "$want"
done
for f in "$S"/astm/*_NOT_ASTM.txt; do
  expect_rc 2 "$(basename "$f") is refused" "$R" --store "lmdb:$WORK/neg" import "$f"
  contains "$WORK/err" "not a format rootline reads: expected hl7v2, astm-e1394, csv-export" "  ... saying what was expected"
done
V="$S/hl7v2/msh_encoding_character_variants.txt"
expect_rc 2 "the MSH variants file is refused whole (two MSH must be rejected)" "$R" --store "lmdb:$WORK/var" import "$V"
contains "$WORK/err" "segment 9 (MSH): MSH-2 '^&&^': encoding characters must all differ" "  ... naming the segment and field"
check "  ... and nothing was written" sh -c "! '$R' --store 'lmdb:$WORK/var' stats 2>/dev/null | grep -q 'graphs: [1-9]'"
expect_rc 0 "--keep-going imports its 3 good messages" "$R" --store "lmdb:$WORK/var" import --keep-going --reject-report "$WORK/rej.txt" "$V"
check "  ... and the reject report lists the 2 bad ones" test "$(grep -c 'rejected: message at segment' "$WORK/rej.txt")" = 2
"$R" --store "lmdb:$WORK/var" query --format csv "$P SELECT ?n WHERE { GRAPH <urn:rootline:graph:provenance> { ?b rl:rejectCount ?n } }" >"$WORK/q"
contains "$WORK/q" "2" "  ... and the provenance counts them"

# ---- the synthetic site ----
SITE="$WORK/site"
check "generate the ten-day site" /usr/bin/python3 "$RL_SOURCE_DIR/data/synth/gen_site.py" "$SITE" --expect "$WORK/expect.json"
check "the site has all 17 CSV exports" test "$(ls "$SITE"/*.csv | wc -l)" = 17
expect_rc 0 "import the site as a folder" "$R" import --quiet "$SITE"
check "  ... every file landed ($(grep -c 'imported' "$WORK/out") batches)" test "$(grep -c 'imported' "$WORK/out")" = "$(ls "$SITE" | wc -l)"
"$R" query --format csv "$P SELECT ?an (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a lab:Result ; inst:analyzer ?a . ?a inst:instrumentId ?an } GROUP BY ?an ORDER BY ?an" >"$WORK/per_an.csv"
"$R" query --format csv "$P SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r a lab:Result ; lab:specimen ?s . ?s a lab:QcSample }" >"$WORK/qc.csv"
"$R" query --format csv "$P SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s a lab:Specimen }" >"$WORK/spec.csv"
"$R" query --format csv "$P SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a clin:Department }" >"$WORK/dept.csv"
"$R" query --format csv "$P SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a lab:TestPanel }" >"$WORK/panel.csv"
"$R" query --format csv "$P SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d a inst:PhysicalChannel }" >"$WORK/chan.csv"
check "counts: results per analyzer (ASTM + ORU + QC export, each result once), QC, specimens, departments (HL7 + CSV), panels, channels" $PY -c '
import csv, json, sys
w = sys.argv
e = json.load(open(w[1]))
one = lambda f: int(list(csv.reader(open(f)))[1][0])
per = {r["an"]: int(r["n"]) for r in csv.DictReader(open(w[2]))}
assert per == e["results"], (per, e["results"])
assert one(w[3]) == e["qc_results"], (one(w[3]), e["qc_results"])
assert one(w[4]) == e["specimens"], one(w[4])
assert one(w[5]) == e["departments"], one(w[5])
assert one(w[6]) == e["panels"], one(w[6])
assert one(w[7]) == e["channels"], one(w[7])' "$WORK/expect.json" "$WORK/per_an.csv" "$WORK/qc.csv" "$WORK/spec.csv" "$WORK/dept.csv" "$WORK/panel.csv" "$WORK/chan.csv"

# ORU and ASTM: the same result node, two provenances
"$R" export -o "$WORK/site.nq" >/dev/null 2>&1
check "a result sent by the analyzer (ASTM) and by the LIS (ORU) is one node with both batches" $PY -c '
import re, sys, collections
g = collections.defaultdict(set)
for line in open(sys.argv[1], encoding="utf-8"):
    if "#resultStatus>" in line and line.startswith("<urn:rootline:lab:result:"):
        s = line.split(" ")[0]; g[s].add(line.rsplit(" ", 2)[-2])
both = [s for s, gs in g.items() if len(gs) == 2]
assert len(both) == int(sys.argv[2]), (len(both), sys.argv[2])' "$WORK/site.nq" "$($PY -c 'import json,sys; print(json.load(open(sys.argv[1]))["oru_results"])' "$WORK/expect.json")"

# three levels: department -> panel -> channel, with results on the channel
"$R" query --format csv "$P SELECT ?dept ?panel ?channel (COUNT(DISTINCT ?r) AS ?results) WHERE {
  ?d clin:hasTestPanel ?p ; clin:fullName ?dept . ?p lab:panelCode ?panel ; lab:hasSignalChannel ?c .
  ?c inst:channelId ?channel . ?r inst:channel ?c ; lab:specimen ?s . ?s clin:orderingDepartment ?d ; lab:orderedPanel ?p }
  GROUP BY ?dept ?panel ?channel ORDER BY ?dept ?panel ?channel" >"$WORK/levels.csv"
check "three-level walk: every ordering department reaches its panels' channels and their results" $PY -c '
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
depts = {r["dept"] for r in rows}
assert depts == {"心内科一病区", "急诊科", "呼吸内科（东区）", "肾内科"}, depts
assert {r["panel"] for r in rows} == {"COAG4", "LYTES", "RENAL"}, rows
assert all(int(r["results"]) > 0 for r in rows)
coag = [r for r in rows if r["panel"] == "COAG4"]
assert {r["channel"] for r in coag} == {"CH1", "CH2", "CH3"}, coag' "$WORK/levels.csv"
"$R" query --format csv "$P SELECT ?child ?parent WHERE { ?c org:subOrganizationOf ?p . ?c clin:fullName ?child . ?p clin:fullName ?parent }" >"$WORK/tree.csv"
contains "$WORK/tree.csv" "心内科一病区,心内科" "department tree from the parent codes (org:subOrganizationOf)"
"$R" query --format csv "$P SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { ?r rl:unreliable true }" >"$WORK/unrel.csv"
check "results the analyzer marks unreliable (R-9 = X, '-----') are kept and marked (8)" test "$(tail -1 "$WORK/unrel.csv" | tr -d '\r')" = 8
"$R" query --format csv "$P SELECT ?e WHERE { ?e a inst:ChannelEpoch ; inst:epochOf ?c . ?c inst:channelId \"CH1\" ; inst:channelOf ?a . ?a inst:instrumentId \"HEM-02\" }" >"$WORK/epochs.csv"
check "HEM-02 CH1 has two calibration epochs linked to one physical channel" test "$(tail -n +2 "$WORK/epochs.csv" | wc -l)" = 2

# masking: nothing the sources carried as phone, national ID, patient id or name
check "no raw phone number, national ID, patient id or name in the graph" $PY -c '
import re, sys
t = open(sys.argv[1], encoding="utf-8").read()
assert not re.search(r"\b138\d{8}\b", t), re.search(r"\b138\d{8}\b", t).group(0)
assert not re.search(r"\b110101\d{11}[\dX]\b", t), "national id"
assert "PAT000001" not in t and "Synthetic" not in t and "Patient1" not in t
assert re.search(r"\"138\*{4}\d{4}\"", t) and re.search(r"\"110101\*{8}\d{4}\"", t)' "$WORK/site.nq"

# every clinical and core term the graph uses is declared in the ontology (parsed with rdflib)
check "every clin:/lab:/inst:/rl: class and property used is declared in ontology/" $PY -c '
import re, sys, glob, rdflib
g = rdflib.Graph()
for f in glob.glob(sys.argv[2] + "/**/*.ttl", recursive=True):
    g.parse(f, format="turtle")
decl = {str(s) for s in g.subjects(rdflib.RDF.type, None)}
used = set()
for line in open(sys.argv[1], encoding="utf-8"):
    parts = line.split(" ")
    for i, t in enumerate(parts[:3]):
        m = re.match(r"<(https://w3id.org/rootline/(clinical/(clin|lab|inst)|core)#[A-Za-z]+)>$", t)
        if m and (i == 1 or (i == 2 and parts[1].endswith("#type>"))):
            used.add(m.group(1))
assert used and used <= decl, sorted(used - decl)' "$WORK/site.nq" "$RL_SOURCE_DIR/ontology"

# idempotent, and the same graph whatever the file names and order
n1=$(grep -vc 'graph:provenance> \.$' "$WORK/site.nq")
expect_rc 0 "import the folder again" "$R" import --quiet "$SITE"
check "  ... every file was already imported" test "$(grep -c 'already imported' "$WORK/out")" = "$(ls "$SITE" | wc -l)"
"$R" export -o "$WORK/site2.nq" >/dev/null 2>&1
check "  ... and nothing changed ($n1 data quads)" test "$(grep -vc 'graph:provenance> \.$' "$WORK/site2.nq")" = "$n1"
mkdir "$WORK/shuffled"
i=0
for f in $(ls "$SITE" | sort -r); do i=$((i + 1)); cp "$SITE/$f" "$WORK/shuffled/$(printf %03d "$i")-$f.dat"; done
expect_rc 0 "import the same exports renamed (reverse name order, .dat)" "$R" --store "lmdb:$WORK/store-shuffled" import --quiet "$WORK/shuffled"
"$R" --store "lmdb:$WORK/store-shuffled" export -o "$WORK/shuf.nq" >/dev/null 2>&1
check "  ... gives the same graph (all but the provenance)" sh -c "grep -v 'graph:provenance> \.\$' '$WORK/site.nq' | sort >'$WORK/a'; grep -v 'graph:provenance> \.\$' '$WORK/shuf.nq' | sort >'$WORK/b'; cmp -s '$WORK/a' '$WORK/b'"

# the librdf write path (raptor terms, any Redland storage) and the lmdb one
# (pack triples encoded straight from their strings) give the same graph: every
# HL7 and CSV file of the site and one ASTM day per analyzer (Redland's BDB
# hashes store is slow, under ASan minutes for the whole site)
mkdir "$WORK/sub" "$WORK/bdb"
for f in "$SITE"/*; do case "$f" in *astm_*) ;; *) cp "$f" "$WORK/sub/" ;; esac; done
for f in $(ls "$SITE"/astm_CHEM-01_*.astm | head -1) $(ls "$SITE"/astm_HEM-02_*.astm | head -1); do cp "$f" "$WORK/sub/"; done
BDB="hashes:site?hash-type=bdb&dir=$WORK/bdb&contexts=yes"
expect_rc 0 "import $(ls "$WORK/sub" | wc -l) of the site's files into a Redland hashes (BDB) store" "$R" --store "$BDB&new=yes" import --quiet "$WORK/sub"
"$R" --store "$BDB" export -o "$WORK/bdb.nq" >/dev/null 2>&1
expect_rc 0 "  ... and into an lmdb store" "$R" --store "lmdb:$WORK/sub-lmdb" import --quiet "$WORK/sub"
"$R" --store "lmdb:$WORK/sub-lmdb" export -o "$WORK/sub.nq" >/dev/null 2>&1
grep -v 'graph:provenance> \.$' "$WORK/bdb.nq" | LC_ALL=C sort -u >"$WORK/c"
grep -v 'graph:provenance> \.$' "$WORK/sub.nq" | LC_ALL=C sort -u >"$WORK/d"
check "  ... the same quads in both ($(wc -l <"$WORK/d") data quads; hashes keeps repeats, so compared as sets)" sh -c "test -s '$WORK/d' && cmp -s '$WORK/c' '$WORK/d'"

# the triple limit holds for a pack's converter too
expect_rc 2 "an ASTM file over --max-triples 10 is refused" "$R" --store "lmdb:$WORK/store-limit" import --max-triples 10 "$(ls "$SITE"/astm_HEM-02_*.astm | head -1)"
contains "$WORK/err" "more than 10 triples (the import limit); nothing from this file was imported" "  ... naming the limit"
check "  ... and nothing was written" sh -c "'$R' --store 'lmdb:$WORK/store-limit' stats | grep -q '^triples: 0'"

# a bad row: clear error, nothing changed; --keep-going lands the rest
mkdir "$WORK/bad"
sed '2s/,11.0,/,eleven,/' "$SITE/lis_tests.csv" >"$WORK/bad/lis_tests.csv"
expect_rc 2 "a CSV row with a bad decimal is refused" "$R" --store "lmdb:$WORK/store-bad" import "$WORK/bad/lis_tests.csv"
contains "$WORK/err" "line 2 (test PT): column ref_low: expected a decimal number, got 'eleven'" "  ... naming line, record, column and what was expected"
expect_rc 0 "--keep-going imports the other rows" "$R" --store "lmdb:$WORK/store-bad" import --keep-going "$WORK/bad/lis_tests.csv"
contains "$WORK/err" "rejected: line 2 (test PT)" "  ... and lists the bad one"
"$R" --store "lmdb:$WORK/store-bad" query --format csv "$P SELECT (COUNT(?t) AS ?n) WHERE { ?t a lab:Test }" >"$WORK/q"
check "  ... 7 of 8 tests landed" test "$(tail -1 "$WORK/q" | tr -d '\r')" = 7
cp "$SITE/lis_panels.csv" "$SITE/his_departments.csv" "$WORK/bad/"
printf 'H|\\^&|||X\r\x02' >"$WORK/bad/broken.astm"
expect_rc 2 "a folder with one bad file: exit 2" "$R" --store "lmdb:$WORK/store-dir" import --quiet "$WORK/bad"
check "  ... the good files landed" test "$(grep -c 'imported' "$WORK/out")" = 2

# --no-mask is logged and recorded
expect_rc 0 "--no-mask imports identifiers unmasked" "$R" --store "lmdb:$WORK/store-nomask" import --no-mask "$(ls "$SITE"/astm_HEM-02_*.astm | head -1)"
contains "$WORK/err" "--no-mask" "  ... with a warning"
"$R" --store "lmdb:$WORK/store-nomask" query --format csv "$P SELECT ?w WHERE { GRAPH <urn:rootline:graph:provenance> { ?b rl:warning ?w } }" >"$WORK/q"
contains "$WORK/q" "unmasked (--no-mask)" "  ... and in the batch's provenance"

# GB18030 in MSH-18: the same department node as the UTF-8 CSV
$PY - "$WORK/gb.hl7" <<'PY'
import sys
msg = "MSH|^~\\&|HIS|HOSP|RL|HOSP|20241031000000||MFN^M05|GB1|P|2.5.1|||||CHN|GB 18030-2000\rMFI|LOC||UPD\rMFE|MAD|||0400^^^C01\rLOC|0400^^^C01|呼吸内科（东区）|D\rLRL|0400^^^C01|||LR||0100^^^C01\r"
open(sys.argv[1], "wb").write(msg.encode("gb18030"))
PY
expect_rc 0 "an MFN^M05 in GB18030 imports" "$R" import "$WORK/gb.hl7"
"$R" query --format csv "$P SELECT (COUNT(DISTINCT ?d) AS ?n) WHERE { ?d clin:deptCode \"0400\" }" >"$WORK/q"
check "  ... onto the department the CSV made (one node)" test "$(tail -1 "$WORK/q" | tr -d '\r')" = 1
finish
