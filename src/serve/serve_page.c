#include "s2s/serve/serve_page.h"

#include <pthread.h>
#include <string.h>

/* The page at GET /: the model (from /translator/models), the source text,
 * beam, n-best and alignment controls, then one line per sentence with its
 * score (and, asked, its alignment), the request's latency and a copy
 * button. /?q=TEXT translates at once; &beam=K, &nbest=N and &align=1 set
 * the controls (links, and the test in a headless browser). */
/* In pieces: ISO C compilers need support string literals of 4095 bytes only. */
static const char HEAD[] =
    "<!DOCTYPE html>\n"
    "<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
    "<title>s2s translate</title>\n"
    "<style>\n"
    "body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;color:#222}\n"
    "textarea{width:100%;box-sizing:border-box;font-size:1rem;padding:.5rem}\n"
    "button{font-size:1rem;padding:.4rem 1.2rem;margin:.5rem .5rem .5rem 0}\n"
    ".controls{display:flex;flex-wrap:wrap;align-items:center;gap:.3rem 1rem}\n"
    ".controls input[type=number]{width:3.5rem;font-size:1rem}\n"
    "#model{color:#555;font-size:.9rem}\n"
    "#out{font-size:1.1rem;border-left:3px solid #48c;padding-left:.6rem}\n"
    "#out[hidden]{display:none}\n"
    ".line{margin:.2rem 0;white-space:pre-wrap}\n"
    ".rank{color:#888;font-size:.85rem;margin-right:.4rem}\n"
    ".score{color:#666;font-size:.85rem;margin-left:.6rem}\n"
    ".align{display:block;color:#666;font-family:monospace;font-size:.85rem}\n"
    "#status{color:#666;font-size:.9rem;min-height:1.2rem}\n"
    ".error{color:#b00}\n"
    "</style></head><body>\n"
    "<h1>s2s translate</h1>\n"
    "<p id=\"model\">model: loading\\u2026</p>\n"
    "<p>One sentence per line; Ctrl+Enter translates.</p>\n"
    "<textarea id=\"src\" rows=\"4\" aria-label=\"source text\"></textarea>\n"
    "<div class=\"controls\">\n"
    "<button id=\"go\" type=\"button\">Translate</button>\n"
    "<label>beam <input id=\"beam\" type=\"number\" min=\"1\" placeholder=\"5\"></label>\n"
    "<label>n-best <input id=\"nbest\" type=\"number\" min=\"1\" value=\"1\"></label>\n"
    "<label><input id=\"align\" type=\"checkbox\"> alignment</label>\n"
    "<button id=\"copy\" type=\"button\" disabled>Copy</button>\n"
    "</div>\n"
    "<div id=\"out\" aria-live=\"polite\" hidden></div>\n"
    "<div id=\"status\"></div>\n";
static const char SCRIPT[] =
    "<script>\n"
    "const $ = id => document.getElementById(id);\n"
    "const go = $('go'), out = $('out'), status = $('status'), src = $('src'), copy = $('copy');\n"
    "let modelId = null, best = [];\n"
    "function span(cls, text) { const s = document.createElement('span'); s.className = cls; s.textContent = text; return s; }\n"
    "async function loadModel() {\n"
    "  try {\n"
    "    const m = (await (await fetch('/translator/models')).json())[0], c = m.config;\n"
    "    modelId = m.id;\n"
    "    const pair = m.languages ? m.languages.src + ' \\u2192 ' + m.languages.tgt : 'languages not recorded';\n"
    "    $('model').textContent = 'model: ' + m.model + ' \\u00b7 ' + c.arch + ' ' + c.cell + ', ' + c.layers +\n"
    "      ' \\u00d7 ' + c.hidden + ' \\u00b7 ' + pair + ' \\u00b7 ' + m.precision;\n"
    "    if (c.arch !== 'attention') { $('align').disabled = true; $('align').checked = false; }\n"
    "  } catch (e) { $('model').textContent = 'model: unknown (' + e.message + ')'; }\n"
    "}\n"
    "function show(j, ms) {\n"
    "  out.textContent = ''; best = [];\n"
    "  j.forEach((hyps, i) => hyps.forEach((h, k) => {\n"
    "    const d = document.createElement('div'); d.className = 'line';\n"
    "    if (hyps.length > 1) d.appendChild(span('rank', (i + 1) + '.' + (k + 1)));\n"
    "    d.appendChild(span('tgt', h.tgt));\n"
    "    d.appendChild(span('score', h.pred_score.toFixed(4)));\n"
    "    if (h.align !== undefined) d.appendChild(span('align', h.align));\n"
    "    out.appendChild(d);\n"
    "    if (k === 0) best.push(h.tgt);\n"
    "  }));\n"
    "  out.hidden = false; copy.disabled = false;\n"
    "  status.textContent = j.length + (j.length === 1 ? ' sentence' : ' sentences') + ' in ' + Math.round(ms) + ' ms';\n"
    "}\n"
    "async function translate() {\n"
    "  const beam = +$('beam').value || 0, nbest = +$('nbest').value || 1; /* beam 0: the server's */\n"
    "  const items = src.value.split('\\n').map(s => {\n"
    "    const o = {src: s, n_best: beam ? Math.min(nbest, beam) : nbest};\n"
    "    if (beam) o.beam = beam;\n"
    "    if (modelId !== null) o.id = modelId;\n"
    "    if ($('align').checked) o.align = true;\n"
    "    return o;\n"
    "  });\n"
    "  go.disabled = true; status.className = ''; status.textContent = 'translating\\u2026';\n"
    "  const t0 = performance.now();\n"
    "  try {\n"
    "    const r = await fetch('/translator/translate', {method: 'POST',\n"
    "      headers: {'Content-Type': 'application/json'}, body: JSON.stringify(items)});\n"
    "    const j = await r.json();\n"
    "    if (!r.ok) throw new Error(j.error || r.statusText);\n"
    "    show(j, performance.now() - t0);\n"
    "  } catch (e) {\n"
    "    out.hidden = true; status.className = 'error'; status.textContent = 'Error: ' + e.message;\n"
    "  } finally { go.disabled = false; }\n"
    "}\n"
    "go.addEventListener('click', translate);\n"
    "copy.addEventListener('click', () => navigator.clipboard.writeText(best.join('\\n')));\n"
    "src.addEventListener('keydown', e => { if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) translate(); });\n"
    "const p = new URLSearchParams(location.search); /* /?q=text&beam=K&nbest=N&align=1 */\n"
    "if (p.get('beam')) $('beam').value = p.get('beam');\n"
    "if (p.get('nbest')) $('nbest').value = p.get('nbest');\n"
    "if (p.get('align') === '1') $('align').checked = true;\n"
    "loadModel().then(() => { if (p.get('q')) { src.value = p.get('q'); translate(); } });\n"
    "</script>\n"
    "</body></html>\n";

static char page[sizeof HEAD + sizeof SCRIPT];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void join(void)
{
    memcpy(page, HEAD, sizeof HEAD - 1);
    memcpy(page + sizeof HEAD - 1, SCRIPT, sizeof SCRIPT);
}

const char *serve_page(void)
{
    pthread_once(&once, join);
    return page;
}
