#!/usr/bin/env bash
# The page of s2s serve in a real browser: headless Chromium (Debian's
# chromium) loads /?q=SENTENCE, whose script posts it to the API and shows
# the translation; the DOM after the script ran must hold the translation
# s2s translate gives and a score. Skipped when chromium is not installed
# (.ci/run installs it).
set -u
. "$(dirname "$0")/lib_cli.sh"
demo=$(cd "$(dirname "$0")/../data/demo" && pwd)
cd "$tmp"
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "cli_serve_page: no chromium: skipped"; exit 77; }

head -400 "$demo/train.en" > s.en; head -400 "$demo/train.de" > s.de
"$S2S" train --src s.en --tgt s.de --embed 32 --hidden 32 --batch 16 --max-steps 60 --optim sgd --lr 8 --clip 1 \
    --threads 2 -q --model m.s2s || fail "training the test model"
"$S2S" serve -m m.s2s --port 0 2> serve.log &
pid=$!
trap 'kill -KILL $pid 2> /dev/null; rm -rf "$tmp"' EXIT
wait_until 120 grep -q "listening on" serve.log || { echo "FAIL: serve did not start"; exit 1; }
port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' serve.log)

sentence="three hundred forty two"
want=$(echo "$sentence" | "$S2S" translate -m m.s2s -q)
# the page's script runs, fetches and renders before the DOM is dumped (virtual time waits
# for the page's network and timers; the real-time bound below only guards against a hang)
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$tmp/profile" \
    --virtual-time-budget=30000 --dump-dom "http://127.0.0.1:$port/?q=${sentence// /%20}" > dom.html 2> chromium.err ||
    fail "chromium failed: $(tail -3 chromium.err)"
grep -Eq "<div id=\"out\"[^>]*>$want</div>" dom.html ||
    fail "the page does not show the translation '$want': $(grep -o '<div id="out"[^<]*</div>' dom.html)"
grep -Eq '<div id="score">score: -?[0-9]+\.[0-9]{4}</div>' dom.html || fail "the page shows no score"
grep -q "POST /translator/translate 200 1 sentences" serve.log || fail "the page's request is not in the log"
kill -TERM "$pid"; wait "$pid" || fail "serve exited $?"

[ "$fails" -eq 0 ] && echo "cli_serve_page: all passed" || echo "$fails failure(s)"
[ "$fails" -eq 0 ]
