/* serve_page.h: the page `s2s serve` answers GET / with: one self-contained
 * HTML document (no external scripts, fonts or styles) with a text box and
 * a button that POSTs to /translator/translate and shows the translation
 * and its score. */
#ifndef S2S_SERVE_PAGE_H
#define S2S_SERVE_PAGE_H

const char *serve_page(void);

#endif
