#include "clineedit.h"
#include <histedit.h>
#include <stdio.h>
#include <string.h>

static EditLine *editor;
static History *hist;
static HistEvent event;
static char prompt_text[64];

static char *current_prompt(EditLine *e) { (void)e; return prompt_text; }

void le_init(const char *program_name) {
    editor = el_init(program_name, stdin, stdout, stderr);
    hist = history_init();
    history(hist, &event, H_SETSIZE, 1000);
    el_set(editor, EL_HIST, history, hist);
    el_set(editor, EL_PROMPT, current_prompt);
    el_set(editor, EL_EDITOR, "emacs");
    el_set(editor, EL_SIGNAL, 1);
}

void le_set_prompt(const char *prompt) {
    strncpy(prompt_text, prompt, sizeof prompt_text - 1);
    prompt_text[sizeof prompt_text - 1] = 0;
}

const char *le_read_line(int *length) { return el_gets(editor, length); }

void le_add_history(const char *line) { history(hist, &event, H_ENTER, line); }

void le_end(void) {
    if (editor) el_end(editor);
    if (hist) history_end(hist);
    editor = NULL;
    hist = NULL;
}
