#!/usr/bin/env bash
# The page of s2s serve in a real browser: headless Chromium (Debian's
# chromium) loads it, its script asks /translator/models and posts to
# /translator/translate, and the DOM after the script ran must hold: the
# model (file, architecture, language pair, precision); idle, no output box;
# for /?q=...&beam=3&nbest=2&align=1 the n-best lines s2s translate gives,
# each with its score and the best's alignment as translate --alignment
# hard prints it; one line per sentence for two sentences; the latency; the
# copy button. A screenshot of the page must be a PNG. Skipped when chromium
# is not installed (.ci/run installs it).
set -u
. "$(dirname "$0")/lib_cli.sh"
demo=$(cd "$(dirname "$0")/../data/demo" && pwd)
cd "$tmp"
browser=$(command -v chromium || command -v chromium-browser || true)
[ -n "$browser" ] || { echo "cli_serve_page: no chromium: skipped"; exit 77; }

head -400 "$demo/train.en" > s.en; head -400 "$demo/train.de" > s.de
"$S2S" train --src s.en --tgt s.de --embed 32 --hidden 32 --batch 16 --max-steps 200 --threads 2 -q \
    --model m.s2s || fail "training the test model"
"$S2S" serve -m m.s2s --port 0 2> serve.log &
pid=$!
trap 'kill -KILL $pid 2> /dev/null; rm -rf "$tmp"' EXIT
wait_until 120 grep -q "listening on" serve.log || { echo "FAIL: serve did not start"; exit 1; }
port=$(sed -n 's|.*listening on http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' serve.log)

# page URL -> dom.html: the script runs, fetches and renders before the DOM is dumped (virtual
# time waits for the page's network and timers; the real-time bound only guards against a hang)
dom() {
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$tmp/profile" \
        --virtual-time-budget=30000 --dump-dom "http://127.0.0.1:$port/$1" > "$2" 2> chromium.err ||
        fail "chromium failed on /$1: $(tail -3 chromium.err)"
}
esc() { sed 's/&/\&amp;/g; s/</\&lt;/g; s/>/\&gt;/g'; } # text as the DOM dump writes it

# ---- idle: the model named, no output box ----
dom "" idle.html
grep -q '<p id="model">model: m.s2s · attention lstm, 2 × 32 · en → de · fp32</p>' idle.html ||
    fail "the page does not name the model: $(grep -o '<p id="model">[^<]*' idle.html)"
grep -Eq '<div id="out" aria-live="polite" hidden=?("")?>' idle.html || fail "an output box shows while idle: $(grep -o '<div id="out"[^>]*>' idle.html)"
grep -q '<button id="copy" type="button" disabled' idle.html || fail "no copy button (disabled while idle)"
grep -q '<input id="align" type="checkbox">' idle.html || fail "no alignment control"

# ---- one sentence, beam 3, 2-best, alignment ----
sentence="three hundred forty two"
echo "$sentence" | "$S2S" translate -m m.s2s --beam 3 --nbest 2 -q | awk -F' \\|\\|\\| ' '{print $2}' > want.txt
want_align=$(echo "$sentence" | "$S2S" translate -m m.s2s --beam 3 --alignment hard -q | sed 's/.* ||| //')
[ -n "$want_align" ] || fail "the test model translates '$sentence' as nothing"
dom "?q=${sentence// /%20}&beam=3&nbest=2&align=1" one.html
grep -o '<span class="tgt">[^<]*</span>' one.html | sed 's/<[^>]*>//g' > got.txt
[ "$(wc -l < got.txt)" = 2 ] && cmp -s <(esc < want.txt) got.txt ||
    fail "the page's 2-best lines differ from translate --nbest 2: $(cat got.txt) / $(cat want.txt)"
[ "$(grep -Eo '<span class="score">-?[0-9]+\.[0-9]{4}</span>' one.html | wc -l)" = 2 ] || fail "not one score per line"
grep -q '<span class="rank">1.1</span>' one.html && grep -q '<span class="rank">1.2</span>' one.html || fail "n-best ranks missing"
grep -q "<span class=\"align\">$want_align</span>" one.html ||
    fail "the alignment differs from translate --alignment hard '$want_align': $(grep -o '<span class="align">[^<]*' one.html | head -1)"
grep -Eq '<div id="status"[^>]*>1 sentence in [0-9]+ ms</div>' one.html || fail "no latency: $(grep -o '<div id="status"[^<]*' one.html)"
grep -Eq '<div id="out" aria-live="polite">' one.html || fail "the output box is still hidden"
grep -q '<button id="copy" type="button">Copy' one.html || fail "the copy button is not enabled after a translation"

# ---- two sentences: one line each, in order ----
printf 'one hundred\nseventy eight thousand fifty\n' > two.txt
"$S2S" translate -m m.s2s -q < two.txt | esc > want2.txt
dom "?q=one%20hundred%0Aseventy%20eight%20thousand%20fifty" two.html
grep -o '<span class="tgt">[^<]*</span>' two.html | sed 's/<[^>]*>//g' > got2.txt
cmp -s want2.txt got2.txt || fail "two sentences: $(cat got2.txt) / $(cat want2.txt)"
grep -Eq '2 sentences in [0-9]+ ms' two.html || fail "two sentences: no latency line"

# ---- a screenshot renders ----
timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$tmp/profile" \
    --virtual-time-budget=30000 --window-size=900,700 --screenshot="$tmp/shot.png" \
    "http://127.0.0.1:$port/?q=one%20hundred" > /dev/null 2> shot.err || fail "screenshot: $(tail -2 shot.err)"
[ "$(head -c 8 shot.png | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] && [ "$(wc -c < shot.png)" -gt 5000 ] ||
    fail "the screenshot is not a PNG of the page"

grep -q "POST /translator/translate 200 1 sentences" serve.log || fail "the page's request is not in the log"
grep -q "GET /translator/models 200" serve.log || fail "the page did not ask /translator/models"
kill -TERM "$pid"; wait "$pid" || fail "serve exited $?"

[ "$fails" -eq 0 ] && echo "cli_serve_page: all passed" || echo "$fails failure(s)"
[ "$fails" -eq 0 ]
