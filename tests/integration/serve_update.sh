#!/bin/sh
# serve_update.sh: SPARQL 1.1 Update at /update and the Graph Store HTTP
# Protocol at /store, with curl and python3-rdflib on 127.0.0.1; the same
# updates through `rootline update`.  Each request is atomic; writes to the
# default graph go to the designated graph; a parser crash while checking an
# update costs an executor, not the service.
. "$(dirname "$0")/lib.inc"
R=$ROOTLINE
PIDS=""
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null; done
  [ "$FAIL" -gt 0 ] && { echo "--- serve.log:"; tail -30 "$WORK/serve.log"; }
  rm -rf "$WORK"
}
trap cleanup EXIT
wait_file() { i=0; while [ ! -s "$1" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done; [ -s "$1" ]; }
P='PREFIX ex: <http://example.org/>'

ROOTLINE_TEST_CRASH_ON=rl-test-crash "$R" serve --listen 127.0.0.1:0 --port-file "$WORK/port" --executors 1 2>"$WORK/serve.log" &
PIDS="$PIDS $!"
check "serve starts" wait_file "$WORK/port"
B="http://127.0.0.1:$(cat "$WORK/port")"
i=0; until curl -sf "$B/readyz" >/dev/null || [ $i -ge 50 ]; do sleep 0.1; i=$((i + 1)); done
up() { curl -s -o "$WORK/body" -w '%{http_code}' -X POST -H 'Content-Type: application/sparql-update' --data-binary "$1" "$B/update"; }
ask() { curl -s -G "$B/sparql" --data-urlencode "query=$P ASK { $1 }" | grep -q '"boolean":true'; }
count() { curl -s -H 'Accept: text/csv' -G "$B/sparql" --data-urlencode "query=$P SELECT (COUNT(*) AS ?n) WHERE { $1 }" | tail -1 | tr -d '\r'; }

c=$(up "$P INSERT DATA { ex:a ex:p \"1\", \"一\"@zh ; ex:q _:x . _:x ex:r ex:c }")
check "INSERT DATA is 200 (got $c)" test "$c" = 200
contains "$WORK/body" '"inserted":4' "  ... reporting 4 triples"
check "  ... into the designated default graph" ask 'GRAPH <urn:rootline:graph:default> { ex:a ex:p "一"@zh }'
c=$(up "$P INSERT DATA { GRAPH ex:g1 { ex:b ex:p 2 } }")
check "INSERT DATA into a named graph (got $c)" test "$c" = 200
check "  ... lands in it" ask 'GRAPH ex:g1 { ex:b ex:p 2 }'
c=$(up "$P DELETE DATA { ex:a ex:p \"1\" }")
check "DELETE DATA (got $c)" test "$c" = 200
check "  ... removes the triple" sh -c "! curl -s -G '$B/sparql' --data-urlencode 'query=ASK { <http://example.org/a> <http://example.org/p> \"1\" }' | grep -q true"
c=$(up "$P COPY ex:g1 TO ex:g2 ; ADD ex:g1 TO DEFAULT ; MOVE ex:g2 TO ex:g3")
check "COPY, ADD, MOVE in one request (got $c)" test "$c" = 200
# (graph existence through the Graph Store: rasqal answers GRAPH <absent> with one unbound row)
gs() { curl -s -o /dev/null -w '%{http_code}' "$B/store?graph=$1"; }
check "  ... g3 has g1's triple, g2 is gone" sh -c "[ \"\$(curl -s -H 'Accept: application/n-triples' '$B/store?graph=http://example.org/g3' | grep -c .)\" = 1 ] && [ \"\$(curl -s -o /dev/null -w '%{http_code}' '$B/store?graph=http://example.org/g2')\" = 404 ]"
check "  ... and ADD reached the default graph" ask 'GRAPH <urn:rootline:graph:default> { ex:b ex:p 2 }'
before=$(count 'GRAPH ?g { ?s ?p ?o }')
c=$(up "$P INSERT DATA { ex:z ex:p 9 } ; CLEAR GRAPH ex:absent")
check "an update whose second operation fails is 400 (got $c)" test "$c" = 400
contains "$WORK/body" "does not exist" "  ... saying which graph"
check "  ... and the first operation did not land (atomic: $before triples)" test "$(count 'GRAPH ?g { ?s ?p ?o }')" = "$before"
c=$(up "$P CLEAR DEFAULT")
check "CLEAR DEFAULT (got $c)" test "$c" = 200
check "  ... clears only the designated graph" test "$(curl -s -o /dev/null -w '%{http_code}' "$B/store?default")" = 404
check "  ... named graphs keep their triples" ask 'GRAPH ex:g1 { ex:b ex:p 2 }'
c=$(up "DROP ALL")
check "DROP ALL (rasqal parses it into nothing; rootline runs it as CLEAR ALL) (got $c)" test "$c" = 200
curl -s -H 'Accept: text/csv' -G "$B/sparql" --data-urlencode 'query=SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }' >"$WORK/graphs.csv"
check "  ... no graph is left" test "$(tail -n +2 "$WORK/graphs.csv" | grep -c .)" = 0

c=$(up "$P INSERT DATA { ex:p1 ex:age 30 . ex:p2 ex:age 40 }")
c2=$(up "$P INSERT DATA { GRAPH ex:w { ex:q ex:x 1 } }")
check "data for the WHERE forms ($c, $c2)" test "$c$c2" = 200200
c=$(up "$P DELETE { ?s ex:age ?a } INSERT { ?s ex:age2 ?a ; ex:tag _:t . _:t ex:v ?a } WHERE { ?s ex:age ?a FILTER(?a > 35) }")
check "DELETE {..} INSERT {..} WHERE {..} (got $c)" test "$c" = 200
check "  ... moved the matching value, kept the other" sh -c "curl -s -G '$B/sparql' --data-urlencode 'query=ASK { <http://example.org/p2> <http://example.org/age2> 40 ; <http://example.org/tag> ?t . ?t <http://example.org/v> 40 . <http://example.org/p1> <http://example.org/age> 30 FILTER NOT EXISTS { <http://example.org/p2> <http://example.org/age> 40 } }' | grep -q true || curl -s -G '$B/sparql' --data-urlencode 'query=ASK { <http://example.org/p2> <http://example.org/age2> 40 ; <http://example.org/tag> ?t . ?t <http://example.org/v> 40 . <http://example.org/p1> <http://example.org/age> 30 }' | grep -q true"
curl -s -H 'Accept: text/csv' -G "$B/sparql" --data-urlencode 'query=SELECT ?o WHERE { <http://example.org/p2> <http://example.org/age> ?o }' >"$WORK/old"
check "  ... and the old value is gone" test "$(tail -n +2 "$WORK/old" | grep -c .)" = 0
c=$(up "$P WITH ex:w INSERT { ?s ex:seen true } WHERE { ?s ex:x ?y }")
check "WITH <g> INSERT ... WHERE reads and writes g (got $c)" test "$c" = 200
check "  ... the new triple is in g" ask 'GRAPH ex:w { ex:q ex:seen true }'
c=$(up "$P WITH ex:w INSERT { GRAPH ex:g5 { ?s ex:copied ?y } ?s ex:seen2 true } WHERE { ?s ex:x ?y }")
check "WITH <g> with a GRAPH block in the template (got $c)" test "$c" = 200
check "  ... the GRAPH block's triple is in its own graph, not in g" ask 'GRAPH ex:g5 { ex:q ex:copied 1 } GRAPH ex:w { ex:q ex:seen2 true } FILTER NOT EXISTS { GRAPH ex:w { ex:q ex:copied 1 } }'
check "a ground triple inside GRAPH <g> matches in g only (librdf checks it in no graph)" test "$(count 'GRAPH ex:w { ex:q ex:copied 1 }')/$(count 'GRAPH ex:g5 { ex:q ex:copied 1 }')" = 0/1
check "  ... and GRAPH ?g finds the one graph holding it" test "$(count 'GRAPH ?g { ex:q ex:copied 1 }')" = 1
c=$(up "$P WITH ex:w INSERT { ?s ex:inw true } WHERE { ?s ex:age ?a }")
check "WITH <g>: the WHERE reads only g (got $c)" test "$c" = 200
contains "$WORK/body" '"inserted":0' "  ... so the default graph's ex:age matches nothing"
c=$(up "$P INSERT { GRAPH ex:u { ?s ex:both ?o } } USING ex:w USING <urn:rootline:graph:default> WHERE { ?s ?p ?o FILTER(?p IN (ex:x, ex:age)) }")
check "two USING graphs are the WHERE's default graph, merged (got $c)" test "$c" = 200
contains "$WORK/body" '"inserted":2' "  ... one match from each"
c=$(up "$P INSERT { ex:z ex:found ?g } USING ex:w WHERE { GRAPH ?g { ?s ?p ?o } }")
check "USING without USING NAMED: no named graphs for the WHERE (got $c)" test "$c" = 200
contains "$WORK/body" '"inserted":0' "  ... so GRAPH ?g matches nothing"
c=$(up "$P INSERT DATA { GRAPH ex:b1 { _:n ex:p 1 } GRAPH ex:b2 { _:n ex:p 1 } ex:top ex:p 3 }")
check "INSERT DATA with two GRAPH blocks and default-graph triples (got $c)" test "$c" = 200
contains "$WORK/body" '"inserted":3' "  ... 3 triples"
check "  ... one blank node label is one node across the blocks" ask 'GRAPH ex:b1 { ?n ex:p 1 } GRAPH ex:b2 { ?n ex:p 1 } GRAPH <urn:rootline:graph:default> { ex:top ex:p 3 }'
c=$(up "$P INSERT { GRAPH ex:b3 { _:t ex:k 1 } } WHERE { ex:q ex:x ?y } ; INSERT { GRAPH ex:b3 { _:t ex:k 2 } } WHERE { ex:q ex:x ?y }")
check "template blank nodes in two operations (got $c)" test "$c" = 200
check "  ... are two nodes" test "$(count '{ SELECT DISTINCT ?t WHERE { GRAPH ex:b3 { ?t ex:k ?k } } }')" = 2
c=$(up "$P DELETE WHERE { ?s ex:age2 ?a }")
check "DELETE WHERE (got $c)" test "$c" = 200
contains "$WORK/body" '"deleted":1' "  ... deleted 1 triple"
c=$(up "LOAD <http://127.0.0.1:9/x.ttl>")
check "LOAD of a URL is refused (got $c)" test "$c" = 501
contains "$WORK/body" "fetches no URLs" "  ... saying why"
c=$(up "INSERT DATA { <a> <b> ")
check "a syntax error is 400 (got $c)" test "$c" = 400
c=$(up 'INSERT { <http://e/a> <http://e/b> 1 } WHERE { ?s ?p ?o FILTER(1+1+1+1 > 0) }')
check "an update whose WHERE has an additive chain of 4 terms (rasqal's parser overflowed on it): 200 (got $c)" test "$c" = 200
c=$(up 'INSERT DATA { <http://e/a> <http://e/b> 2 } # rl-test-crash')
check "an update that crashes the writer (fault injection): 500 (got $c)" test "$c" = 500
san_allow exec_fault_inject # the executor's own sanitizer report of that crash
contains "$WORK/body" "writer process" "  ... in the writer process, whose transaction was not committed"
check "  ... so its triple is not stored" test "$(count 'GRAPH ?g { <http://e/a> <http://e/b> 2 }')" = 0
c=$(up "$P INSERT DATA { ex:alive ex:p 1 }")
check "  ... and the service goes on (got $c)" test "$c" = 200
c=$(curl -s -o /dev/null -w '%{http_code}' "$B/update")
check "GET /update is 405 (got $c)" test "$c" = 405
c=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: text/plain' --data x "$B/update")
check "POST /update as text/plain is 415 (got $c)" test "$c" = 415

# Graph Store HTTP Protocol
printf '<http://example.org/s> <http://example.org/p> "v1" .\n' >"$WORK/one.nt"
printf '@prefix ex: <http://example.org/> .\nex:s ex:p "v2", "v3" .\n' >"$WORK/two.ttl"
G="$B/store?graph=http://example.org/docs"
c=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/n-triples' --data-binary @"$WORK/one.nt" "$G")
check "PUT a new graph: 201 (got $c)" test "$c" = 201
c=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: text/turtle' --data-binary @"$WORK/two.ttl" "$G")
check "POST to it: 204 (got $c)" test "$c" = 204
check "  ... 3 triples" test "$(count 'GRAPH ex:docs { ?s ?p ?o }')" = 3
c=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/n-triples' --data-binary @"$WORK/one.nt" "$G")
check "PUT replaces: 204 (got $c)" test "$c" = 204
check "  ... 1 triple" test "$(count 'GRAPH ex:docs { ?s ?p ?o }')" = 1
check "GET the graph, parsed by rdflib (Turtle)" $PY -c '
import sys, urllib.request, rdflib
d = urllib.request.urlopen(sys.argv[1]).read().decode()
g = rdflib.Graph(); g.parse(data=d, format="turtle")
assert len(g) == 1 and (None, None, rdflib.Literal("v1")) in g, d' "$G"
c=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: text/turtle' --data-binary 'this is not turtle' "$G")
check "a bad body is 400 (got $c)" test "$c" = 400
check "  ... and changed nothing" test "$(count 'GRAPH ex:docs { ?s ?p ?o }')" = 1
c=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: image/png' --data-binary x "$G")
check "an unknown body type is 415 (got $c)" test "$c" = 415
c=$(curl -s -o /dev/null -w '%{http_code}' -X PUT -H 'Content-Type: application/n-triples' --data-binary @"$WORK/one.nt" "$B/store?default")
check "PUT ?default replaces the default graph (got $c)" test "$c" = 204
check "  ... is the designated default graph" ask 'GRAPH <urn:rootline:graph:default> { ex:s ex:p "v1" }'
c=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$G")
check "DELETE the graph: 204 (got $c)" test "$c" = 204
c=$(curl -s -o /dev/null -w '%{http_code}' "$G")
check "  ... then GET is 404 (got $c)" test "$c" = 404
c=$(curl -s -o /dev/null -w '%{http_code}' "$B/store")
check "neither ?graph nor ?default: 400 (got $c)" test "$c" = 400
c=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$B/store?graph=urn:rootline:graph:provenance")
check "the provenance graph cannot be written over HTTP: 403 (got $c)" test "$c" = 403

# the CLI runs the same engine
ROOTLINE_STORE="lmdb:$WORK/cli" "$R" update "$P INSERT DATA { ex:c ex:p 1 } ; COPY DEFAULT TO ex:g" >"$WORK/out"
contains "$WORK/out" "2 operation(s): 2 triple(s) inserted" "rootline update applies the operations"
expect_rc 2 "rootline update with a bad update exits 2" env ROOTLINE_STORE="lmdb:$WORK/cli" "$R" update "CLEAR GRAPH <http://example.org/none>"
contains "$WORK/err" "nothing was changed" "  ... and says nothing changed"
finish
