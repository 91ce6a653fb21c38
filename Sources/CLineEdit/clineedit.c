#include "clineedit.h"
#include <errno.h>
#include <histedit.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static EditLine *editor;
static History *hist;
static HistEvent event;
static char prompt_text[128];
static char history_path[4096];
static le_completer completer;

static char *current_prompt(EditLine *e) { (void)e; return prompt_text; }

/// Tab: asks the completer, inserts its text, and lists the candidates below the line.
static unsigned char complete(EditLine *e, int ch) {
    (void)ch;
    if (!completer) return CC_ERROR;
    const LineInfo *info = el_line(e);
    size_t length = (size_t)(info->cursor - info->buffer);
    char *line = malloc(length + 1);
    if (!line) return CC_ERROR;
    memcpy(line, info->buffer, length);
    line[length] = 0;
    char *answer = completer(line);
    free(line);
    if (!answer) return CC_REFRESH_BEEP;
    char *list = strchr(answer, '\n');
    if (list) *list++ = 0;
    unsigned char result = CC_REFRESH;
    if (answer[0]) el_insertstr(e, answer);
    if (list && list[0]) {
        FILE *out = stdout;
        fputc('\n', out);
        int column = 0;
        for (char *item = strtok(list, "\n"); item; item = strtok(NULL, "\n")) {
            int width = (int)strlen(item);
            if (column > 0 && column + width + 2 > 100) { fputc('\n', out); column = 0; }
            fprintf(out, "%s  ", item);
            column += width + 2;
        }
        fputc('\n', out);
        fflush(out);
        result = CC_REDISPLAY;
    } else if (!answer[0]) {
        result = CC_REFRESH_BEEP;
    }
    free(answer);
    return result;
}

void le_init(const char *program_name, const char *history_file, int history_size, le_completer function) {
    editor = el_init(program_name, stdin, stdout, stderr);
    hist = history_init();
    history(hist, &event, H_SETSIZE, history_size);
    history(hist, &event, H_SETUNIQUE, 1);
    history_path[0] = 0;
    if (history_file) {
        strncpy(history_path, history_file, sizeof history_path - 1);
        history_path[sizeof history_path - 1] = 0;
        history(hist, &event, H_LOAD, history_path);
    }
    el_set(editor, EL_HIST, history, hist);
    el_set(editor, EL_PROMPT, current_prompt);
    el_set(editor, EL_EDITOR, "emacs");
    el_set(editor, EL_SIGNAL, 1);
    completer = function;
    el_set(editor, EL_ADDFN, "swdbg-complete", "Complete commands, symbols, registers and files", complete);
    el_set(editor, EL_BIND, "^I", "swdbg-complete", NULL);
}

void le_set_prompt(const char *prompt) {
    strncpy(prompt_text, prompt, sizeof prompt_text - 1);
    prompt_text[sizeof prompt_text - 1] = 0;
}

const char *le_read_line(int *status) {
    int count = 0;
    errno = 0;
    const char *line = el_gets(editor, &count);
    if (line) { *status = 0; return line; }
    if (count < 0 && errno != EINTR && errno != 0) { *status = 2; return NULL; }
    *status = count < 0 ? 1 : 0;
    return NULL;
}

void le_add_history(const char *line) { history(hist, &event, H_ENTER, line); }

void le_end(void) {
    if (hist && history_path[0]) history(hist, &event, H_SAVE, history_path);
    if (editor) el_end(editor);
    if (hist) history_end(hist);
    editor = NULL;
    hist = NULL;
}
