#!/bin/sh
# cli.sh: the rootline command line end to end: exit codes, import,
# query formats read back by real parsers (python3 json, rdflib), export.
. "$(dirname "$0")/lib.inc"
R=$ROOTLINE
D=$RL_SOURCE_DIR

# usage and help
expect_rc 1 "no command is a usage error" $R
expect_rc 1 "unknown command" $R frobnicate
expect_rc 0 "--help" $R --help
for c in import query export stats; do
  expect_rc 0 "$c --help" $R $c --help
  contains "$WORK/out" "usage: rootline $c" "$c --help prints its usage"
done
expect_rc 1 "query without text" $R query
expect_rc 1 "unknown format" $R query --format yaml 'ASK {}'
expect_rc 1 "malformed store URI" $R --store nocolon stats

# import: files and a directory; re-import is a no-op
expect_rc 0 "import demo + ontology" $R import "$D/data/demo/hospital.ttl" "$D/ontology"
contains "$WORK/out" "imported 45 triples (turtle)" "demo file reports its triple count"
contains "$WORK/err" "100% read" "progress lines when not on a terminal"
$R stats --json >"$WORK/s1"
expect_rc 0 "re-import is accepted" $R import "$D/data/demo/hospital.ttl"
contains "$WORK/out" "already imported" "re-import says nothing changed"
$R stats --json >"$WORK/s2"
check "re-import left the store unchanged" cmp -s "$WORK/s1" "$WORK/s2"

# bad input: exit 2, names file and line, nothing changed
expect_rc 2 "bad N-Triples" $R import "$D/tests/data/bad-line4.nt"
contains "$WORK/err" "bad-line4.nt: line 4" "error names the file and line"
contains "$WORK/err" "nothing from this file was imported" "error says nothing changed"
$R stats --json >"$WORK/s3"
check "bad import changed nothing" cmp -s "$WORK/s1" "$WORK/s3"
expect_rc 2 "missing file" $R import /nonexistent/file.ttl
expect_rc 2 "over the triple limit" $R import --max-triples 3 "$D/tests/data/graphs.trig"
contains "$WORK/err" "more than 3 triples" "limit error says which limit"
expect_rc 2 "mixed: one good, one bad file" $R import "$D/tests/data/graphs.trig" "$D/tests/data/bad-line4.nt"
contains "$WORK/out" "graphs.trig: imported 8 triples (trig)" "the good file landed"

# query: formats, read back by independent parsers
Q='SELECT ?d ?p ?x WHERE { ?d <https://w3id.org/rootline/demo#hasTestPanel> ?p OPTIONAL { ?d <http://example.org/none> ?x } } ORDER BY ?d ?p'
expect_rc 0 "select as json" $R query --format json "$Q"
check "json is standard SPARQL JSON (3 rows, no 'unbound')" $PY -c '
import json,sys
d=json.load(open(sys.argv[1]))
b=d["results"]["bindings"]
assert d["head"]["vars"]==["d","p","x"], d
assert len(b)==3 and all("x" not in r for r in b), b
assert b[0]["d"]=={"type":"uri","value":"https://w3id.org/rootline/demo#dept-er"}, b[0]
assert "unbound" not in open(sys.argv[1]).read()' "$WORK/out"
cp "$WORK/out" "$WORK/q.json"
expect_rc 0 "select as xml" $R query --format xml "$Q"
cp "$WORK/out" "$WORK/q.xml"
check "rdflib reads our JSON and XML results with an unbound variable" $PY -c '
import sys
from rdflib.query import Result
for path, fmt in ((sys.argv[1], "json"), (sys.argv[2], "xml")):
    r = Result.parse(open(path, "rb"), format=fmt)
    rows = list(r)
    assert len(rows) == 3, (fmt, rows)
    assert all(row[2] is None for row in rows), rows
    assert str(rows[2][1]) == "https://w3id.org/rootline/demo#panel-pt", rows
' "$WORK/q.json" "$WORK/q.xml"
expect_rc 0 "select as csv" $R query --format csv 'SELECT ?l WHERE { <https://w3id.org/rootline/demo#dept-lab> <http://www.w3.org/2000/01/rdf-schema#label> ?l FILTER(LANG(?l)="zh") }'
check "csv row holds the Chinese label" $PY -c '
import sys; t=open(sys.argv[1],encoding="utf-8",newline="").read(); assert t=="l\r\n检验科\r\n", repr(t)' "$WORK/out"
expect_rc 0 "select as tsv" $R query --format tsv 'SELECT ?v WHERE { <https://w3id.org/rootline/demo#obs-1> <http://www.w3.org/ns/sosa/hasSimpleResult> ?v }'
contains "$WORK/out" '"13.1"^^<http://www.w3.org/2001/XMLSchema#decimal>' "tsv writes typed N-Triples terms"
expect_rc 0 "ask as json" $R query --format json 'ASK { ?s <https://w3id.org/rootline/demo#hasSignalChannel> ?o }'
contains "$WORK/out" '"boolean":true' "ask answers true"
expect_rc 0 "construct as turtle" $R query 'CONSTRUCT { ?d <http://x/p> ?p } WHERE { ?d <https://w3id.org/rootline/demo#hasTestPanel> ?p }'
check "rdflib parses the CONSTRUCT output (3 triples)" $PY -c '
import sys, rdflib; g=rdflib.Graph(); g.parse(sys.argv[1], format="turtle"); assert len(g)==3, len(g)' "$WORK/out"
expect_rc 0 "table on request" $R query --format table -f "$D/data/demo/three-levels.rq"
contains "$WORK/out" "(5 rows)" "the demo query walks three levels"
expect_rc 2 "syntax error" $R query 'SELEC ?x'
contains "$WORK/err" "syntax error" "syntax error is reported"
expect_rc 2 "SERVICE refused" $R query 'SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }'
expect_rc 2 "row limit is an error, not a truncation" $R query --max-rows 2 --format csv 'SELECT ?s ?p ?o WHERE { ?s ?p ?o }'
contains "$WORK/err" "more than 2 rows" "row limit is named"
echo 'SELECT ?s WHERE { ?s a <https://w3id.org/rootline/core#Level> }' | $R query -f - --format csv >"$WORK/levels" 2>&1
check "query from standard input (3 levels)" test "$(grep -c Level "$WORK/levels")" -eq 3

# export: whole store and one graph, read back by rdflib
$R stats --json >"$WORK/s4"
expect_rc 0 "export to a file" $R export -o "$WORK/all.nq"
check "rdflib reads the N-Quads export; it has every triple" $PY -c '
import sys, json, rdflib
ds = rdflib.ConjunctiveGraph(); ds.parse(sys.argv[1], format="nquads")
n = json.load(open(sys.argv[2]))["triples"]
assert len(ds) == n, (len(ds), n)
assert "urn:rootline:graph:provenance" in {str(c.identifier) for c in ds.contexts()}' "$WORK/all.nq" "$WORK/s4"
expect_rc 0 "export one graph" $R export --graph http://example.org/g1
check "graph export has 3 quads" test "$(wc -l <"$WORK/out")" -eq 3
expect_rc 2 "export of an unknown graph" $R export --graph http://example.org/nope
expect_rc 3 "store that cannot be opened" $R --store "lmdb:/proc/nope/x" stats

# a source path longer than 2 KiB is recorded whole in the provenance
LONG="$WORK"
for i in 1 2 3 4 5 6 7 8 9 10; do LONG="$LONG/$(printf 'd%.0s' $(seq 1 240))"; done
mkdir -p "$LONG"
echo '<urn:long:a> <urn:long:b> <urn:long:c> .' >"$LONG/x.nt"
expect_rc 0 "import a file whose path is ${#LONG} bytes long" $R --store "lmdb:$WORK/store-long" import "$LONG/x.nt"
$R --store "lmdb:$WORK/store-long" query --format tsv 'SELECT ?f WHERE { GRAPH <urn:rootline:graph:provenance> { ?b <http://www.w3.org/ns/prov#wasDerivedFrom> ?f } }' >"$WORK/q-long"
check "  ... its provenance names the whole path (no cut at 2048 bytes)" grep -qF "<file://$LONG/x.nt>" "$WORK/q-long"
finish
