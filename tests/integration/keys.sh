#!/bin/sh
# keys.sh: `rootline keys` prints one key alone on one line, for integrators;
# vectors computed with Python's hashlib (not by rootline).
. "$(dirname "$0")/lib.inc"
R=$ROOTLINE
expect_rc 0 "department key" $R keys department CN02 检验科 0200
check "department key is the SPEC's MD5, alone on one line" test "$(cat "$WORK/out")" = "7ecfbb13238cae9b305c897c8158f1d9"
check "exactly one line" test "$(wc -l <"$WORK/out")" -eq 1
expect_rc 0 "department key from GB18030 arguments" $R keys --charset GB18030 department CN02 "$(printf '\274\354\321\351\277\306')" 0200
check "GB18030 input gives the same key" test "$(cat "$WORK/out")" = "7ecfbb13238cae9b305c897c8158f1d9"
expect_rc 0 "panel key, unit in Chinese" $R keys panel "凝血酶原时间（PT）" 凝固法 秒
check "panel key (unit 秒 keyed as UCUM s)" test "$(cat "$WORK/out")" = "9bcfdfc7d5df35fc5e781a525456f1af25e15fa4af689f30f025b932b092439b"
expect_rc 0 "channel key, UTC calibration time" $R keys channel 00-1a-2b-3c-4d-5e CH1 2026-03-02T00:15:00Z
check "channel key in site time (+08:00)" test "$(cat "$WORK/out")" = "MDA6MUE6MkI6M0M6NEQ6NUV8Q0gxfDIwMjYwMzAyMDgxNTAw"
/usr/bin/python3 -c 'import base64,sys; print(base64.b64decode(sys.argv[1]).decode())' "$(cat "$WORK/out")" >"$WORK/dec"
check "the channel key decodes to MAC|channel|YYYYMMDDHHMMSS" test "$(cat "$WORK/dec")" = "00:1A:2B:3C:4D:5E|CH1|20260302081500"
expect_rc 2 "a field with the separator" $R keys department CN02 'a|b' 0200
contains "$WORK/err" "separator" "the error names the problem"
expect_rc 2 "a bad MAC" $R keys channel 00-1a CH1 20260302081500
contains "$WORK/err" "12 hex digits" "the error says what was expected"
expect_rc 1 "missing argument" $R keys panel only-two args
expect_rc 1 "unknown kind" $R keys room A B C
finish
