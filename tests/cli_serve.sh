#!/usr/bin/env bash
# s2s serve: on a free loopback port, /health and /models; a request's
# translations are those of s2s translate (beam, greedy, n-best); 16
# concurrent clients x 25 requests all correct; every bad request gets its
# status and the server keeps serving; SIGTERM with a request in flight
# answers it and exits 0. The client side is tests/serve_client.py.
set -u
. "$(dirname "$0")/lib_cli.sh"
demo=$(cd "$(dirname "$0")/../data/demo" && pwd)
client="python3 $(cd "$(dirname "$0")" && pwd)/serve_client.py"
cd "$tmp"
command -v python3 > /dev/null || { echo "cli_serve: no python3: skipped"; exit 77; }

head -400 "$demo/train.en" > s.en; head -400 "$demo/train.de" > s.de
"$S2S" train --src s.en --tgt s.de --arch seq2seq --embed 32 --hidden 32 --batch 16 --max-steps 60 --optim sgd --lr 8 --clip 1 \
    --threads 2 -q --model m.s2s || fail "training the test model"
head -40 "$demo/test.en" > t.en

pid=
# start NAME OPTIONS...: s2s serve on a free port, its log in NAME.log; sets $pid and $port
start() {
    local log=$1.log; shift
    "$S2S" serve -m m.s2s --port 0 "$@" 2> "$log" &
    pid=$!
    wait_until 120 grep -q "listening on" "$log" || { fail "serve did not start: $(cat "$log")"; return 1; }
    port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$log")
}
stop() { kill -TERM "$pid" 2> /dev/null; wait "$pid"; }
trap 'kill -KILL $pid 2> /dev/null; rm -rf "$tmp"' EXIT
# same_as FILE OPTS...: the server's "n\ttgt\tscore" lines equal s2s translate --scores OPTS
# (translations exactly, scores to 1e-4: the products round the last bits by batch size)
same_as() {
    local got=$1; shift
    "$S2S" translate -m m.s2s -q --scores "$@" < "${src:-t.en}" > want.txt
    paste <(cut -f2,3 "$got") <(sed 's/ ||| /\t/' want.txt) | awk -F'\t' '
        $1 != $3 || ($2 - $4 > 1e-4 || $4 - $2 > 1e-4) { bad++; if (bad < 3) print "  got: " $1 " " $2 "; want: " $3 " " $4 }
        END { exit bad > 0 || NR != n }' n="$(wc -l < "${src:-t.en}")"
}

# ---- the API ----
start a --threads 2 --batch 8 || exit 1
expect_out=health.txt expect 0 "" $client "$port" status GET /health
grep -q '{"status":"ok"}' health.txt || fail "/health: $(cat health.txt)"
$client "$port" status GET /models > models.txt
grep -q '"arch":"seq2seq"' models.txt && grep -q '"model":"m.s2s"' models.txt || fail "/models: $(cat models.txt)"
$client "$port" status GET / > page.txt
head -1 page.txt | grep -q '^200' && grep -q '<button' page.txt && ! grep -Eq '(src|href)="https?:' page.txt ||
    fail "/: not the self-contained page"

$client "$port" translate t.en > beam.txt || fail "translate: $(cat beam.txt)"
same_as beam.txt || fail "beam 5: the server's translations differ from s2s translate's"
$client "$port" translate t.en '{"beam": 1}' > greedy.txt || fail "translate beam 1"
same_as greedy.txt --beam 1 || fail "beam 1: the server's translations differ from s2s translate --beam 1"
$client "$port" translate t.en '{"length_penalty": 0}' > lp0.txt || fail "translate lp 0"
same_as lp0.txt --length-penalty 0 || fail "length_penalty 0 differs from s2s translate --length-penalty 0"
$client "$port" translate t.en '{"n_best": 3}' > nbest.txt || fail "translate n_best 3"
"$S2S" translate -m m.s2s -q --nbest 3 < t.en | awk -F' [|][|][|] ' '{ print $2 }' > nbest.want
[ "$(cut -f2 nbest.txt)" = "$(cat nbest.want)" ] && [ "$(cut -f1 nbest.txt | sort -u)" = 3 ] ||
    fail "n_best 3: not s2s translate --nbest 3's hypotheses"
printf 'one\n\n \t \nseven\n' > blank.en
$client "$port" translate blank.en > blank.txt
[ "$(cut -f2 blank.txt | sed -n 2p)" = "" ] && [ "$(cut -f2 blank.txt | sed -n 3p)" = "" ] &&
    [ "$(wc -l < blank.txt)" = 4 ] || fail "empty and blank src must give \"\": $(cat blank.txt)"

# ---- 16 concurrent clients x 25 requests, every answer that sentence's translation ----
$client "$port" concurrent t.en 16 25 > conc.txt
"$S2S" translate -m m.s2s -q < t.en | awk '{ print NR - 1 "\t" $0 }' > conc.want
[ "$(grep -c '^error' conc.txt)" = 0 ] || fail "concurrent: $(grep -m3 '^error' conc.txt)"
[ "$(wc -l < conc.txt)" = 400 ] || fail "concurrent: $(wc -l < conc.txt) answers of 400"
awk -F'\t' 'NR == FNR { want[$1] = $2; next } $2 != want[$1] { bad++ } END { exit bad > 0 }' \
    conc.want conc.txt || fail "concurrent: some answers are not that sentence's translation"

# ---- bad requests: their status, and the server keeps serving ----
bad() { # STATUS PATTERN METHOD PATH [BODY] [HEADER=VALUE]
    local want=$1 pat=$2; shift 2
    $client "$port" status "$@" > bad.txt 2>&1
    head -1 bad.txt | grep -q "^$want" && grep -Eq -- "$pat" bad.txt || fail "$* gave $(head -2 bad.txt), wanted $want /$pat/"
}
printf '[{"src": "one"' > b1; bad 400 '"error":"the body: not valid JSON \(error at byte 13\)"' POST /translator/translate b1
printf '[{"src": "Ein\\u0000 Mann"}]' > n1; bad 400 'the body: a string holds ..u0000 \(NUL\) at byte 13' POST /translator/translate n1
printf '[{"src": "Ein\0 Mann"}]' > n2; bad 400 'the body: a NUL byte at byte 13' POST /translator/translate n2
printf '[{"src": "a"}]\0' > n3; bad 400 'the body: a NUL byte at byte 14' POST /translator/translate n3
printf '[{"src": "a"}] xyz' > n4; bad 400 'the body: 3 bytes after the JSON value at byte 15' POST /translator/translate n4
printf '[{"src": "a"}]\n \t' > n5; bad 200 '"tgt"' POST /translator/translate n5
printf '[{"src": "a", "src": "b"}]' > n6; bad 400 'the body: the key ..src.. appears twice in one object' POST /translator/translate n6
printf '{"src": "one"}' > b2; bad 400 'must be a JSON list' POST /translator/translate b2
printf '[{"text": "one"}]' > b3; bad 400 'item 0: each item needs \\"src\\", a string' POST /translator/translate b3
printf '[{"src": 42}]' > b4; bad 400 'needs \\"src\\"' POST /translator/translate b4
printf '[{"src": "one \xff two"}]' > b5; bad 400 'not valid UTF-8' POST /translator/translate b5
printf '["one"]' > b6; bad 400 'must be an object' POST /translator/translate b6
printf '[{"src": "one", "beam": 9}]' > b7; bad 400 '\\"beam\\" must be an integer from 1 to 5' POST /translator/translate b7
printf '[{"src": "one", "n_best": 2, "beam": 1}]' > b8; bad 400 'n_best' POST /translator/translate b8
printf '[{"src": "one", "n_best": 1e300}]' > b10; bad 400 'n_best.. must be an integer from 1 to 5' POST /translator/translate b10
head -c 1100000 /dev/zero | tr '\0' ' ' > big; bad 413 'over 1048576 bytes' POST /translator/translate big
for i in $(seq 1001); do printf '{"src": "one"},'; done | sed 's/^/[/; s/,$/]/' > many
bad 413 '1001 sentences: at most 1000' POST /translator/translate many
bad 404 'no such path' GET /nothing
bad 405 'use POST' GET /translator/translate
bad 405 'use GET' POST /health
head -1 bad.txt | grep -q "Allow=GET, HEAD" || fail "405 without Allow: GET, HEAD: $(head -1 bad.txt)"
bad 200 '^$' HEAD /health
bad 200 '^$' HEAD /models
bad 405 '' HEAD /translator/translate
printf '[]' > b9; bad 200 '^\[\]$' POST /translator/translate b9
$client "$port" hangup || fail "a client that hangs up"
$client "$port" translate t.en > again.txt && same_as again.txt || fail "after the bad requests, translations differ"
grep -Eq '^s2s serve: POST /translator/translate 200 40 sentences [0-9.]+ ms$' a.log ||
    fail "no request log line: $(tail -3 a.log)"
stop || fail "SIGTERM: exit code $?"

# ---- a full queue is 503 with Retry-After; idle clients time out ----
start b --max-queue 12 --timeout 1 -q || exit 1
for i in $(seq 13); do printf '{"src": "one"},'; done | sed 's/^/[/; s/,$/]/' > thirteen
bad 503 'busy' POST /translator/translate thirteen
head -1 bad.txt | grep -q "Retry-After=1" || fail "503 without Retry-After: $(head -1 bad.txt)"
[ "$($client "$port" idle)" = closed ] || fail "an idle connection was not closed (--timeout 1)"
head -12 t.en > t12.en
$client "$port" translate t12.en > b.txt && src=t12.en same_as b.txt || fail "after a 503, translations differ"
[ "$(grep -vc 'listening on' b.log)" = 0 ] || fail "-q: the server logged: $(head -2 b.log)"
stop || fail "SIGTERM: exit code $?"

# ---- slow clients: a request's headers and body must arrive within --request-timeout ----
start d --max-connections 2 --timeout 5 --request-timeout 2 || exit 1
$client "$port" slow 100 body > slow1.txt & s1=$!
$client "$port" slow 100 headers > slow2.txt & s2=$!
wait_until 60 grep -q sending slow1.txt && wait_until 60 grep -q sending slow2.txt || fail "slow clients did not start"
# both connections are taken: this one waits until --request-timeout frees one
$client "$port" translate t12.en > d.txt && src=t12.en same_as d.txt || fail "a client behind two slow ones: $(head -2 d.txt)"
wait "$s1" "$s2"
[ "$(cat slow1.txt)" = "sending
cut" ] || fail "a body sent a byte every 0.5 s was not cut at --request-timeout 2: $(cat slow1.txt)"
[ "$(cat slow2.txt)" = "sending
cut" ] || fail "headers sent a byte every 0.5 s were not cut at --request-timeout 2: $(cat slow2.txt)"
grep -q "closed a connection: its request took over 2 s (--request-timeout)" d.log || fail "no log of the cut: $(tail -2 d.log)"
# SIGTERM waits for a request still arriving no longer than --request-timeout
$client "$port" slow 100 body > slow3.txt & s3=$!
wait_until 60 grep -q sending slow3.txt || fail "the slow client did not start"
kill -TERM "$pid"
wait_until 60 grep -q "s2s serve: stopped" d.log || fail "SIGTERM with a slow client: not stopped within 60 s"
wait "$pid"; code=$?
[ "$code" = 0 ] || fail "SIGTERM with a slow client: exit code $code"
wait "$s3"; [ "$(tail -1 slow3.txt)" = cut ] || fail "the slow client at SIGTERM: $(cat slow3.txt)"
pid=

# ---- SIGTERM with a request in flight: answered, then exit 0 ----
start c --threads 1 || exit 1
mkfifo go
$client "$port" held t.en < go > held.txt &
cl=$!
exec 3> go
wait_until 60 grep -q held held.txt || fail "the held request never got 100 Continue"
kill -TERM "$pid"
wait_until 60 grep -q "SIGTERM: answering" c.log || fail "no SIGTERM log line"
echo >&3; exec 3>&-
wait "$cl" || fail "the held client failed: $(cat held.txt)"
wait "$pid"; code=$?
[ "$code" = 0 ] || fail "SIGTERM with a request in flight: exit code $code"
[ "$(sed -n 2p held.txt)" = 200 ] || fail "the request in flight was not answered: $(cat held.txt)"
"$S2S" translate -m m.s2s -q < t.en > held.want
[ "$(tail -n +3 held.txt)" = "$(cat held.want)" ] || fail "the request in flight got other translations"
pid=

expect 2 "--model is required" "$S2S" serve
expect 2 "--port: '70000' is not an integer in \\[0, 65535\\]" "$S2S" serve -m m.s2s --port 70000
expect 1 "--host example.org: not an IPv4 address" "$S2S" serve -m m.s2s --host example.org --port 0
expect 1 "nope.s2s" "$S2S" serve -m nope.s2s

[ "$fails" -eq 0 ] && echo "cli_serve: all passed" || echo "$fails failure(s)"
[ "$fails" -eq 0 ]
