#!/usr/bin/python3
"""run_http.py: the W3C SPARQL evaluation tests through rootline's HTTP endpoint.

    /usr/bin/python3 tests/w3c/run_http.py --rootline BIN --tests DIR [--out DIR]
        [--suite sparql11 --suite sparql10] [--only DIR] [--jobs N] [--floor FILE]

For every mf:QueryEvaluationTest and mf:UpdateEvaluationTest of the chosen
suites (entailment and SERVICE excluded): the test's default-graph data go into the store's designated
default graph and each qt:graphData file into a named graph called by its
file IRI, in a fresh lmdb store opened in strict mode
(?default-graph=urn:rootline:graph:default: the default graph is that graph
alone, as the tests assume); `rootline serve` answers the query over HTTP
(POST application/sparql-query, a BASE line for the query file's relative
IRIs), and the answer is compared with the expected result: SELECT as a
multiset of solutions (in order when the query has ORDER BY), blank nodes
matched by a consistent renaming, ASK as a boolean, CONSTRUCT/DESCRIBE as
isomorphic graphs; an update test POSTs the request to /update and compares
the default graph and every named graph (fetched through /store) with the
expected ones, and no other graph may exist.  Prints the pass rate per
directory and per suite, writes
results.csv to --out, and with --floor fails (exit 1) when a suite's rate
drops below the floor recorded there.
"""
import argparse
import collections
import concurrent.futures
import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
import urllib.error
import xml.etree.ElementTree as ET

import rdflib
import rdflib.compare
from rdflib import BNode, Literal, URIRef, Namespace, RDF

rdflib.NORMALIZE_LITERALS = False
MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
QT = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-query#")
RS = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/result-set#")
UT = Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
RDFS = Namespace("http://www.w3.org/2000/01/rdf-schema#")
DEFAULT_GRAPH = "urn:rootline:graph:default"
SKIP_DIRS = {"entailment", "service", "syntax-fed", "protocol", "http-rdf-update", "graph-store-protocol",
             "service-description"}


def file_iri(path):
    return "file://" + os.path.abspath(path)


def graphs_of(g, node):
    """(default-graph files, [(file, name)]) of a ut: action or result."""
    data = [str(d).replace("file://", "") for d in g.objects(node, UT.data)]
    named = [(str(g.value(gd, UT.graph)).replace("file://", ""), str(g.value(gd, RDFS.label)))
             for gd in g.objects(node, UT.graphData)]
    return data, named


def tests_of(manifest):
    g = rdflib.Graph()
    g.parse(manifest, format="turtle", publicID=file_iri(manifest))
    for t in g.subjects(RDF.type, MF.UpdateEvaluationTest):
        action, result = g.value(t, MF.action), g.value(t, MF.result)
        req = g.value(action, UT.request)
        if req is None or result is None:
            continue
        d, n = graphs_of(g, action)
        rd, rn = graphs_of(g, result)
        yield {"id": str(t).rsplit("#", 1)[-1], "update": str(req).replace("file://", ""), "data": d,
               "named": n, "want_data": rd, "want_named": rn}
    for t in g.subjects(RDF.type, MF.QueryEvaluationTest):
        action = g.value(t, MF.action)
        query = g.value(action, QT.query)
        result = g.value(t, MF.result)
        if query is None or result is None or g.value(action, QT.serviceData) is not None:
            continue
        yield {
            "id": str(t).rsplit("#", 1)[-1],
            "query": str(query).replace("file://", ""),
            "data": [str(d).replace("file://", "") for d in g.objects(action, QT.data)],
            "graphs": [str(d).replace("file://", "") for d in g.objects(action, QT.graphData)],
            "result": str(result).replace("file://", ""),
            # mf:LaxCardinality (REDUCED): any number of each expected row, at least one
            "lax": g.value(t, MF.resultCardinality) == MF.LaxCardinality,
        }


# ---- expected results -------------------------------------------------------

def term_from_json(v):
    if v["type"] == "uri":
        return URIRef(v["value"])
    if v["type"] == "bnode":
        return BNode(v["value"])
    return Literal(v["value"], lang=v.get("xml:lang"), datatype=v.get("datatype"))


def read_srx(path):
    ns = {"s": "http://www.w3.org/2005/sparql-results#"}
    root = ET.parse(path).getroot()
    b = root.find("s:boolean", ns)
    if b is not None:
        return ("ask", b.text.strip() == "true")
    rows = []
    for r in root.findall("s:results/s:result", ns):
        row = {}
        for bd in r.findall("s:binding", ns):
            el = list(bd)[0]
            tag = el.tag.split("}")[1]
            if tag == "uri":
                row[bd.get("name")] = URIRef(el.text or "")
            elif tag == "bnode":
                row[bd.get("name")] = BNode(el.text or "")
            else:
                row[bd.get("name")] = Literal(el.text or "", lang=el.get("{http://www.w3.org/XML/1998/namespace}lang"),
                                              datatype=el.get("datatype"))
        rows.append(row)
    return ("select", rows)


def read_srj(path):
    d = json.load(open(path, encoding="utf-8"))
    if "boolean" in d:
        return ("ask", bool(d["boolean"]))
    return ("select", [{k: term_from_json(v) for k, v in b.items()} for b in d["results"]["bindings"]])


def read_rs_graph(path, fmt):
    g = rdflib.Graph()
    g.parse(path, format=fmt, publicID=file_iri(path))
    rs = next(g.subjects(RDF.type, RS.ResultSet), None)
    if rs is None:
        return ("graph", g)
    b = g.value(rs, RS.boolean)
    if b is not None:
        return ("ask", bool(b.toPython()))
    rows = []
    for sol in g.objects(rs, RS.solution):
        row = {}
        for bd in g.objects(sol, RS.binding):
            row[str(g.value(bd, RS.variable))] = g.value(bd, RS.value)
        idx = g.value(sol, RS["index"])  # RS.index is str.index
        rows.append((int(idx) if idx is not None else 0, row))
    rows.sort(key=lambda x: x[0])
    return ("select", [r for _, r in rows])


def read_tsv(path):
    lines = open(path, encoding="utf-8").read().split("\n")
    head = [h.strip()[1:] for h in lines[0].split("\t")]
    rows = []
    for line in lines[1:]:
        if not line.strip():
            continue
        row = {}
        for h, cell in zip(head, line.split("\t")):
            if cell:
                row[h] = parse_nt_term(cell)
        rows.append(row)
    return ("select", rows)


def parse_nt_term(s):
    g = rdflib.Graph()
    try:
        g.parse(data="<urn:x:s> <urn:x:p> %s ." % s, format="nt")
        return next(iter(g))[2]
    except Exception:
        if re.match(r"^[+-]?\d+$", s):
            return Literal(s, datatype=URIRef("http://www.w3.org/2001/XMLSchema#integer"))
        if re.match(r"^[+-]?\d*\.\d+$", s):
            return Literal(s, datatype=URIRef("http://www.w3.org/2001/XMLSchema#decimal"))
        # TSV writes terms in Turtle's syntax, where these are doubles and booleans
        if re.match(r"^[+-]?(\d+\.?\d*|\.\d+)[eE][+-]?\d+$", s):
            return Literal(s, datatype=URIRef("http://www.w3.org/2001/XMLSchema#double"))
        if s in ("true", "false"):
            return Literal(s, datatype=URIRef("http://www.w3.org/2001/XMLSchema#boolean"))
        return Literal(s)


def expected_of(path):
    ext = path.rsplit(".", 1)[-1]
    if ext == "srx":
        return read_srx(path)
    if ext == "srj":
        return read_srj(path)
    if ext == "tsv":
        return read_tsv(path)
    if ext in ("ttl", "rdf", "nt"):
        return read_rs_graph(path, {"ttl": "turtle", "rdf": "xml", "nt": "nt"}[ext])
    return None


# ---- comparison ---------------------------------------------------------------

def key(term, bmap):
    if term is None:
        return None
    if isinstance(term, BNode):
        return ("b", bmap.setdefault(str(term), len(bmap)))
    if isinstance(term, Literal):  # RDF 1.1: a simple literal is an xsd:string
        dt = str(term.datatype or "")
        if dt == "http://www.w3.org/2001/XMLSchema#string":
            dt = ""
        return ("l", str(term), dt, (term.language or "").lower())
    return ("u", str(term))


def rows_equal(got, want, ordered):
    if len(got) != len(want):
        return False
    if not any(isinstance(v, BNode) for r in want for v in r.values()):
        g = [tuple(sorted((k, key(v, {})) for k, v in r.items())) for r in got]
        w = [tuple(sorted((k, key(v, {})) for k, v in r.items())) for r in want]
        return g == w if ordered else collections.Counter(g) == collections.Counter(w)
    # blank nodes: compare with blank nodes as wildcards of a consistent shape
    g = sorted(tuple(sorted((k, key(v, {}) if not isinstance(v, BNode) else ("b",)) for k, v in r.items())) for r in got)
    w = sorted(tuple(sorted((k, key(v, {}) if not isinstance(v, BNode) else ("b",)) for k, v in r.items())) for r in want)
    return g == w


def distinct_rows(rows):
    seen, out = set(), []
    for r in rows:
        k = tuple(sorted((n, key(v, {})) for n, v in r.items()))
        if k not in seen:
            seen.add(k)
            out.append(r)
    return out


def has_order_by(text):
    return re.search(r"\bORDER\s+BY\b", text, re.I) is not None


# ---- one test -----------------------------------------------------------------

def to_nquads(path, graph, out):
    fmt = "rdfxml" if path.endswith(".rdf") else "turtle"
    p = subprocess.run(["rapper", "-q", "-i", fmt, "-o", "ntriples", path, file_iri(path)],
                       capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError("rapper: " + p.stderr.strip()[:200])
    # blank node labels belong to their document: two files' _:x are two nodes
    tag = "f%x" % (abs(hash(path)) & 0xffffffff)
    for line in p.stdout.splitlines():
        line = line.strip()
        if line.endswith("."):
            line = re.sub(r'(^|\s)_:([A-Za-z0-9]+)', lambda m: "%s_:%s%s" % (m.group(1), tag, m.group(2)), line)
            out.write(line[:-1].rstrip() + " <%s> .\n" % graph)


def post(url, query, accept, timeout):
    req = urllib.request.Request(url, data=query.encode("utf-8"), method="POST",
                                 headers={"Content-Type": "application/sparql-query", "Accept": accept})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read()
    except urllib.error.HTTPError as e:
        return e.code, "", e.read()


def load_graph(files):
    g = rdflib.Graph()
    for f in files:
        g.parse(f, format="xml" if f.endswith(".rdf") else "turtle", publicID=file_iri(f))
    return g


def fetch_graph(base, name):
    url = base + "/store?" + ("default" if name is None else "graph=" + urllib.request.quote(name, safe=""))
    req = urllib.request.Request(url, headers={"Accept": "application/n-triples"})
    g = rdflib.Graph()
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            g.parse(data=r.read().decode("utf-8"), format="nt")
    except urllib.error.HTTPError as e:
        if e.code != 404:
            raise
    return g


def check_update(t, base, timeout):
    text = "BASE <%s>\n%s" % (file_iri(t["update"]), open(t["update"], encoding="utf-8").read())
    req = urllib.request.Request(base + "/update", data=text.encode("utf-8"), method="POST",
                                 headers={"Content-Type": "application/sparql-update"})
    try:
        with urllib.request.urlopen(req, timeout=timeout + 5) as r:
            status = r.status
    except urllib.error.HTTPError as e:
        status = e.code
        body = e.read().decode("utf-8", "replace").strip()[:160]
        if status != 200:
            return ("fail", "HTTP %d: %s" % (status, body))
    got = fetch_graph(base, None)
    if not rdflib.compare.isomorphic(got, load_graph(t["want_data"])):
        return ("fail", "default graph differs (%d triples, expected %d)" % (len(got), len(load_graph(t["want_data"]))))
    for f, name in t["want_named"]:
        got = fetch_graph(base, name)
        if not rdflib.compare.isomorphic(got, load_graph([f])):
            return ("fail", "graph <%s> differs (%d triples)" % (name, len(got)))
    expected = {name for _, name in t["want_named"] if len(load_graph([_]))}
    q = urllib.request.Request(base + "/sparql", data=b"SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
                               method="POST", headers={"Content-Type": "application/sparql-query",
                                                       "Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(q, timeout=30) as r:
        present = {b["g"]["value"] for b in json.loads(r.read().decode())["results"]["bindings"] if "g" in b}
    extra = present - expected
    return ("pass", "") if not extra else ("fail", "unexpected graphs %s" % sorted(extra)[:3])


def run_one(t, rootline, timeout):
    work = tempfile.mkdtemp(prefix="rl-w3c-")
    proc = None
    try:
        nq = os.path.join(work, "data.nq")
        with open(nq, "w", encoding="utf-8") as out:
            for d in t["data"]:
                to_nquads(d, DEFAULT_GRAPH, out)
            for d in t.get("graphs", []):
                to_nquads(d, file_iri(d), out)
            for d, name in t.get("named", []):
                to_nquads(d, name, out)
            # graphs a query names with FROM / FROM NAMED: in the store under
            # their IRIs (rootline fetches nothing, so they are loaded here)
            if "query" in t:
                qdir = os.path.dirname(t["query"])
                for m in re.finditer(r"FROM\s+(?:NAMED\s+)?<([^>]*)>", open(t["query"], encoding="utf-8").read(), re.I):
                    f = os.path.join(qdir, m.group(1)) if "://" not in m.group(1) else m.group(1).replace("file://", "")
                    if os.path.exists(f) and f not in t["data"] and f not in t["graphs"]:
                        to_nquads(f, file_iri(f), out)
        store = "lmdb:%s/store?default-graph=%s" % (work, DEFAULT_GRAPH)
        if os.path.getsize(nq):
            p = subprocess.run([rootline, "--store", store, "import", "--quiet", nq], capture_output=True, text=True)
            if p.returncode:
                return ("error", "import: " + p.stderr.strip()[:200])
        portfile = os.path.join(work, "port")
        proc = subprocess.Popen([rootline, "--store", store, "serve", "--listen", "127.0.0.1:0", "--port-file",
                                 portfile, "--executors", "1", "--query-timeout", str(timeout), "--spool",
                                 os.path.join(work, "spool")], stderr=subprocess.DEVNULL)
        for _ in range(200):
            if os.path.exists(portfile) and os.path.getsize(portfile):
                break
            time.sleep(0.02)
        port = open(portfile).read().strip()
        url = "http://127.0.0.1:%s/sparql" % port
        for _ in range(100):  # executors up
            try:
                urllib.request.urlopen("http://127.0.0.1:%s/readyz" % port, timeout=2)
                break
            except Exception:
                time.sleep(0.02)
        if "update" in t:
            return check_update(t, "http://127.0.0.1:%s" % port, timeout)
        qtext = open(t["query"], encoding="utf-8").read()
        query = "BASE <%s>\n%s" % (file_iri(t["query"]), qtext)
        want = expected_of(t["result"])
        if want is None:
            return ("skip", "result format")
        accept = "application/n-triples" if want[0] == "graph" else "application/sparql-results+json"
        status, ctype, body = post(url, query, accept, timeout + 5)
        if status != 200:
            return ("fail", "HTTP %d: %s" % (status, body.decode("utf-8", "replace").strip()[:200]))
        if want[0] == "graph":
            g = rdflib.Graph()
            g.parse(data=body.decode("utf-8"), format="nt")
            ok = rdflib.compare.isomorphic(g, want[1])
            return ("pass", "") if ok else ("fail", "graph differs (%d vs %d triples)" % (len(g), len(want[1])))
        d = json.loads(body.decode("utf-8"))
        if want[0] == "ask":
            got = d.get("boolean")
            return ("pass", "") if got == want[1] else ("fail", "ASK %s, expected %s" % (got, want[1]))
        if "results" not in d:
            return ("fail", "expected bindings, got %s" % list(d.keys()))
        got = [{k: term_from_json(v) for k, v in b.items()} for b in d["results"]["bindings"]]
        if t.get("lax"):
            ok = rows_equal(distinct_rows(got), distinct_rows(want[1]), False)
        else:
            ok = rows_equal(got, want[1], has_order_by(qtext))
        if ok:
            return ("pass", "")
        if os.environ.get("RL_W3C_DIFF"):  # the rows only one side has
            gk = collections.Counter(tuple(sorted((k, v.n3()) for k, v in r.items())) for r in got)
            wk = collections.Counter(tuple(sorted((k, v.n3()) for k, v in r.items())) for r in want[1])
            return ("fail", "only got %s; only expected %s" % (list((gk - wk).elements())[:4],
                                                              list((wk - gk).elements())[:4]))
        return ("fail", "%d rows, expected %d" % (len(got), len(want[1])))
    except Exception as e:  # a broken test setup is a failure, with the reason
        return ("error", str(e)[:200])
    finally:
        if proc:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rootline", required=True)
    ap.add_argument("--tests", required=True, help="the w3c-sparql-tests/sparql folder")
    ap.add_argument("--suite", action="append")
    ap.add_argument("--only")
    ap.add_argument("--out")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=int, default=10)
    ap.add_argument("--floor", help="JSON {suite: minimum pass rate}; fail below it")
    a = ap.parse_args()
    suites = a.suite or ["sparql11", "sparql10"]
    todo = []
    for s in suites:
        base = os.path.join(a.tests, s)
        for d in sorted(os.listdir(base)):
            m = os.path.join(base, d, "manifest.ttl")
            if d in SKIP_DIRS or not os.path.exists(m) or (a.only and d != a.only):
                continue
            for t in tests_of(m):
                todo.append((s, d, t))
    results = []
    with concurrent.futures.ThreadPoolExecutor(a.jobs) as ex:
        futs = {ex.submit(run_one, t, a.rootline, a.timeout): (s, d, t) for s, d, t in todo}
        for f in concurrent.futures.as_completed(futs):
            s, d, t = futs[f]
            st, why = f.result()
            results.append((s, d, t["id"], st, why))
    results.sort()
    per = collections.OrderedDict()
    for s, d, _, st, _ in results:
        c = per.setdefault((s, d), collections.Counter())
        c[st] += 1
    print("%-10s %-22s %5s %5s %6s" % ("suite", "directory", "pass", "total", "rate"))
    tot = collections.defaultdict(collections.Counter)
    for (s, d), c in per.items():
        n = sum(v for k, v in c.items() if k != "skip")
        print("%-10s %-22s %5d %5d %5.0f%%" % (s, d, c["pass"], n, 100.0 * c["pass"] / n if n else 0))
        tot[s]["pass"] += c["pass"]
        tot[s]["n"] += n
    rates = {}
    for s, c in tot.items():
        rates[s] = 100.0 * c["pass"] / c["n"] if c["n"] else 0
        print("%-10s %-22s %5d %5d %5.1f%%" % (s, "ALL", c["pass"], c["n"], rates[s]))
    if a.out:
        os.makedirs(a.out, exist_ok=True)
        with open(os.path.join(a.out, "results.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["suite", "dir", "test", "status", "detail"])
            w.writerows(results)
    if a.floor:
        floor = json.load(open(a.floor))
        low = {s: (rates.get(s, 0), v) for s, v in floor.items() if rates.get(s, 0) < v}
        if low:
            print("below the recorded floor:", low)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
