// Command dapclient is a small, scriptable Debug Adapter Protocol client for
// testing swdbg's DAP server (swdbg --dap).
//
// It is built on github.com/google/go-dap, the DAP library Delve uses, so
// everything it sends and receives goes through an independent, typed
// implementation of the protocol: requests are decoded into go-dap's request
// structs before they are written, and every message the adapter sends must
// decode into go-dap's structs or the run fails with DECODE-ERROR. Nothing
// here knows about swdbg; it drives any adapter.
//
// Usage:
//
//	dapclient -script FILE [-addr HOST:PORT] [-timeout SECONDS] [-- ADAPTER_COMMAND ARGS...]
//
// With "--" the adapter is spawned and spoken to over its stdin/stdout (its
// stderr goes to ours); with -addr a TCP connection is made instead (retried
// for up to 5 s).
//
// The script holds one JSON object per line; blank lines and lines starting
// with '#' are ignored. Each object is one step:
//
//	{"send": {"command": "threads", "arguments": {...}}}
//	    Send a request with the next seq (1, 2, ...). It becomes "the last request".
//	{"wait": "response"}         the response to the last request
//	{"wait": "response:CMD"}     a response whose command is CMD
//	{"wait": "event:NAME"}       an event named NAME
//	{"wait": "request:CMD"}      a reverse request (adapter to client) CMD
//	    A wait step may also carry
//	    "save": {"var": "body.stackFrames.0.id"}
//	    "find": {"var": {"in": "body.variables", "where": {"name": "x"}, "take": "variablesReference"}}
//	    which store values from the awaited message. In later send steps (and
//	    find's where) a string that is exactly "${var}" becomes the saved JSON
//	    value, and ${var} inside a longer string is replaced by its text.
//	{"raw": "TEXT"}              write TEXT as it is
//	{"rawbody": "TEXT"}          write "Content-Length: <len>\r\n\r\n" + TEXT
//	{"close": true}              close our sending side, then print everything until EOF
//	{"expectEOF": true}          print everything until EOF
//	{"sleep": 0.5}               sleep that many seconds
//
// A wait prints every message it reads, matched or not. A response that a
// wait skipped is remembered, and a later wait for it is satisfied from memory
// (so "wait response:launch" works even when the launch response came while
// waiting for something else); it is forgotten when another request with the
// same command is sent. Events are never remembered.
//
// Output, one line each, flushed as written:
//
//	-> {json}            a request sent (as go-dap re-marshalled it)
//	RAW-> "text"         bytes written by raw/rawbody (Go-quoted)
//	WRITE-ERROR: err     a write failed (not fatal; the next read usually sees EOF)
//	<- {json}            a message received (go-dap typed struct, re-marshalled)
//	CLOSE / EOF          our side closed / the adapter's side ended
//	DECODE-ERROR: err    an adapter message go-dap cannot decode (exit 4)
//	SCRIPT-ERROR: msg    bad script, bad request, missing saved path (exit 3)
//	TIMEOUT waiting for X (exit 5)     EOF waiting for X (exit 6)
//	ADAPTER-EXIT n / ADAPTER-KILLED    how a spawned adapter ended
//
// Paths in save and find refer to the message as printed after "<-", that is
// go-dap's struct re-marshalled: fields go-dap does not know are absent and
// empty structs may appear. Raw and rawbody steps do not use seq numbers.
//
// When the script ends, messages already received are printed. A spawned
// adapter then has its stdin closed and 10 s to exit while its output is
// printed (2 s, unread, after a failure); ADAPTER-EXIT reports 128+N for
// death by signal N.
//
// Exit status: 0 when the script ran to the end, 1 when the adapter could not
// be started or reached, 2 for bad usage, 3..6 as above.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/google/go-dap"
)

const (
	exitOK      = 0
	exitIO      = 1
	exitUsage   = 2
	exitScript  = 3
	exitDecode  = 4
	exitTimeout = 5
	exitEOF     = 6
)

// failure ends the run with an exit code after printing line.
type failure struct {
	code int
	line string
}

func scriptErr(lineNo int, format string, args ...interface{}) *failure {
	return &failure{exitScript, fmt.Sprintf("SCRIPT-ERROR: line %d: %s", lineNo, fmt.Sprintf(format, args...))}
}

// ---- script ----

type findSpec struct {
	In    string                 `json:"in"`
	Where map[string]interface{} `json:"where"`
	Take  string                 `json:"take"`
}

type step struct {
	line int

	Send      map[string]interface{} `json:"send"`
	Wait      string                 `json:"wait"`
	Save      map[string]string      `json:"save"`
	Find      map[string]findSpec    `json:"find"`
	Raw       *string                `json:"raw"`
	RawBody   *string                `json:"rawbody"`
	Close     *bool                  `json:"close"`
	ExpectEOF *bool                  `json:"expectEOF"`
	Sleep     *float64               `json:"sleep"`

	match matcher
}

// matcher says which message a wait step is after.
type matcher struct {
	kind string // "response" (to the last request), "response:", "event:", "request:"
	name string
}

func parseMatcher(s string) (matcher, bool) {
	if s == "response" {
		return matcher{kind: "response"}, true
	}
	for _, k := range []string{"response:", "event:", "request:"} {
		if strings.HasPrefix(s, k) && len(s) > len(k) {
			return matcher{kind: k, name: s[len(k):]}, true
		}
	}
	return matcher{}, false
}

func (m matcher) matches(msg dap.Message, lastSeq int) bool {
	switch m.kind {
	case "response":
		r, ok := msg.(dap.ResponseMessage)
		return ok && r.GetResponse().RequestSeq == lastSeq
	case "response:":
		r, ok := msg.(dap.ResponseMessage)
		return ok && r.GetResponse().Command == m.name
	case "event:":
		e, ok := msg.(dap.EventMessage)
		return ok && e.GetEvent().Event == m.name
	case "request:":
		r, ok := msg.(dap.RequestMessage)
		return ok && r.GetRequest().Command == m.name
	}
	return false
}

func loadScript(path string) ([]*step, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var steps []*step
	for i, text := range strings.Split(string(data), "\n") {
		text = strings.TrimSpace(text)
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		st := &step{line: i + 1}
		dec := json.NewDecoder(strings.NewReader(text))
		dec.UseNumber()
		dec.DisallowUnknownFields()
		if err := dec.Decode(st); err != nil {
			return nil, fmt.Errorf("line %d: %v", st.line, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("line %d: more than one JSON value", st.line)
		}
		if err := st.check(); err != nil {
			return nil, fmt.Errorf("line %d: %v", st.line, err)
		}
		steps = append(steps, st)
	}
	return steps, nil
}

func (st *step) check() error {
	actions := 0
	for _, present := range []bool{st.Send != nil, st.Wait != "", st.Raw != nil, st.RawBody != nil,
		st.Close != nil, st.ExpectEOF != nil, st.Sleep != nil} {
		if present {
			actions++
		}
	}
	if actions != 1 {
		return errors.New("a step needs exactly one of send, wait, raw, rawbody, close, expectEOF, sleep")
	}
	if (st.Save != nil || st.Find != nil) && st.Wait == "" {
		return errors.New("save and find go only with wait")
	}
	if st.Close != nil && !*st.Close || st.ExpectEOF != nil && !*st.ExpectEOF {
		return errors.New("close and expectEOF take true")
	}
	if st.Send != nil {
		if c, ok := st.Send["command"].(string); !ok || c == "" {
			return errors.New(`send needs a string "command"`)
		}
	}
	if st.Wait != "" {
		m, ok := parseMatcher(st.Wait)
		if !ok {
			return fmt.Errorf("wait %q: want response, response:CMD, event:NAME or request:CMD", st.Wait)
		}
		st.match = m
	}
	for name, f := range st.Find {
		if f.In == "" || f.Take == "" || len(f.Where) == 0 {
			return fmt.Errorf("find %q needs in, where and take", name)
		}
	}
	return nil
}

// ---- JSON values ----

func parseJSON(b []byte) (interface{}, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v interface{}
	err := dec.Decode(&v)
	return v, err
}

// lookup follows a dotted path (object keys, array indexes) through v.
func lookup(v interface{}, path string) (interface{}, bool) {
	if path == "" {
		return v, true
	}
	for _, seg := range strings.Split(path, ".") {
		switch cur := v.(type) {
		case map[string]interface{}:
			next, ok := cur[seg]
			if !ok {
				return nil, false
			}
			v = next
		case []interface{}:
			i, err := strconv.Atoi(seg)
			if err != nil || i < 0 || i >= len(cur) {
				return nil, false
			}
			v = cur[i]
		default:
			return nil, false
		}
	}
	return v, true
}

// sameJSON compares two decoded JSON values; numbers compare by value.
func sameJSON(a, b interface{}) bool {
	if na, ok := a.(json.Number); ok {
		nb, ok := b.(json.Number)
		if !ok {
			return false
		}
		fa, errA := na.Float64()
		fb, errB := nb.Float64()
		return errA == nil && errB == nil && fa == fb
	}
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

var placeholder = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}`)

// substitute replaces ${name} placeholders in string values of v.
func substitute(v interface{}, vars map[string]interface{}) (interface{}, error) {
	switch x := v.(type) {
	case string:
		if m := placeholder.FindStringSubmatch(x); m != nil && m[0] == x {
			val, ok := vars[m[1]]
			if !ok {
				return nil, fmt.Errorf("${%s} was never saved", m[1])
			}
			return val, nil
		}
		var missing string
		out := placeholder.ReplaceAllStringFunc(x, func(p string) string {
			name := p[2 : len(p)-1]
			val, ok := vars[name]
			if !ok {
				missing = name
				return p
			}
			if s, ok := val.(string); ok {
				return s
			}
			b, _ := json.Marshal(val)
			return string(b)
		})
		if missing != "" {
			return nil, fmt.Errorf("${%s} was never saved", missing)
		}
		return out, nil
	case map[string]interface{}:
		out := make(map[string]interface{}, len(x))
		for k, e := range x {
			s, err := substitute(e, vars)
			if err != nil {
				return nil, err
			}
			out[k] = s
		}
		return out, nil
	case []interface{}:
		out := make([]interface{}, len(x))
		for i, e := range x {
			s, err := substitute(e, vars)
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	}
	return v, nil
}

// dropped lists paths of non-zero values in sent that go-dap's typed request
// lost (unknown field names, usually a script typo).
func dropped(sent, kept interface{}, path string, out *[]string) {
	switch s := sent.(type) {
	case map[string]interface{}:
		k, _ := kept.(map[string]interface{})
		for key, sv := range s {
			p := key
			if path != "" {
				p = path + "." + key
			}
			kv, ok := k[key]
			if !ok {
				if !isZero(sv) {
					*out = append(*out, p)
				}
				continue
			}
			dropped(sv, kv, p, out)
		}
	case []interface{}:
		k, _ := kept.([]interface{})
		for i, sv := range s {
			if i < len(k) {
				dropped(sv, k[i], path+"."+strconv.Itoa(i), out)
			}
		}
	}
}

func isZero(v interface{}) bool {
	switch x := v.(type) {
	case nil:
		return true
	case bool:
		return !x
	case string:
		return x == ""
	case json.Number:
		f, err := x.Float64()
		return err == nil && f == 0
	case map[string]interface{}:
		return len(x) == 0
	case []interface{}:
		return len(x) == 0
	}
	return false
}

// ---- reading ----

// incoming is one message from the adapter, or the error that ended reading.
type incoming struct {
	msg  dap.Message
	json []byte
	err  error
}

// decodeError is a message that broke DAP framing or did not decode.
type decodeError struct {
	err  error
	body []byte
}

func (e *decodeError) Error() string { return e.err.Error() }

// readMessages reads with go-dap until the stream ends. It is
// dap.ReadProtocolMessage split in its two halves, to tell framing and
// decoding errors from the end of the stream and keep the body that failed.
func readMessages(r io.Reader, ch chan<- incoming) {
	defer close(ch)
	br := bufio.NewReader(r)
	for {
		if _, err := br.Peek(1); err != nil {
			ch <- incoming{err: err} // the stream ended between messages
			return
		}
		content, err := dap.ReadBaseMessage(br)
		if err != nil {
			var bpe *dap.BaseProtocolError
			switch {
			case err == io.EOF: // after Peek: bytes that are no complete header
				err = &decodeError{err: errors.New("stream ended inside a message header")}
			case err == io.ErrUnexpectedEOF || errors.As(err, &bpe):
				err = &decodeError{err: err}
			}
			ch <- incoming{err: err}
			return
		}
		msg, err := dap.DecodeProtocolMessage(content)
		if err != nil {
			ch <- incoming{err: &decodeError{err: err, body: content}}
			return
		}
		b, err := json.Marshal(msg)
		if err != nil {
			ch <- incoming{err: &decodeError{err: err, body: content}}
			return
		}
		ch <- incoming{msg: msg, json: b}
	}
}

// ---- the client ----

type client struct {
	out     *bufio.Writer
	w       io.Writer
	closeW  func() error
	closed  bool
	in      chan incoming
	ended   *incoming // the stream's last item (an error), once seen
	timeout time.Duration

	seq     int
	lastSeq int
	lastCmd string
	skipped []incoming // responses skipped by waits, see package comment
	vars    map[string]interface{}
}

func (c *client) println(s string) {
	c.out.WriteString(s)
	c.out.WriteByte('\n')
	c.out.Flush()
}

func (c *client) write(b []byte) {
	if _, err := c.w.Write(b); err != nil {
		c.println("WRITE-ERROR: " + err.Error())
	}
}

func (c *client) closeSend() {
	if !c.closed {
		c.closed = true
		if err := c.closeW(); err != nil {
			fmt.Fprintln(os.Stderr, "dapclient: close:", err)
		}
	}
}

// next returns the next item from the adapter, printing messages, or nil on
// timeout. After the stream has ended it keeps returning its last item.
func (c *client) next(timer <-chan time.Time) *incoming {
	if c.ended != nil {
		return c.ended
	}
	select {
	case it, ok := <-c.in:
		return c.take(it, ok)
	case <-timer:
		return nil
	}
}

// take records an item received from c.in: prints a message, or remembers
// the error that ended the stream.
func (c *client) take(it incoming, ok bool) *incoming {
	if !ok {
		it = incoming{err: io.EOF}
	}
	if it.err != nil {
		c.ended = &it
		return c.ended
	}
	c.println("<- " + string(it.json))
	return &it
}

// endFailure turns the end of the stream, met while waiting for what, into a failure.
func (c *client) endFailure(it *incoming, what string) *failure {
	var de *decodeError
	if errors.As(it.err, &de) {
		if de.body != nil {
			fmt.Fprintf(os.Stderr, "dapclient: undecodable message body: %s\n", de.body)
		}
		return &failure{exitDecode, "DECODE-ERROR: " + de.Error()}
	}
	line := "EOF waiting for " + what
	if it.err != io.EOF {
		line += " (" + it.err.Error() + ")"
	}
	return &failure{exitEOF, line}
}

// decodeFailure is the DECODE-ERROR failure if it ended the stream with one.
func (c *client) decodeFailure(it *incoming) *failure {
	var de *decodeError
	if it.err != nil && errors.As(it.err, &de) {
		return c.endFailure(it, "EOF")
	}
	return nil
}

func (c *client) send(st *step) *failure {
	obj, err := substitute(st.Send, c.vars)
	if err != nil {
		return scriptErr(st.line, "send: %v", err)
	}
	c.seq++
	req := obj.(map[string]interface{})
	req["seq"] = c.seq
	req["type"] = "request"
	built, err := json.Marshal(req)
	if err != nil {
		return scriptErr(st.line, "send: %v", err)
	}
	msg, err := dap.DecodeProtocolMessage(built)
	if err != nil {
		return scriptErr(st.line, "go-dap cannot decode request %s: %v", built, err)
	}
	final, err := json.Marshal(msg)
	if err != nil {
		return scriptErr(st.line, "send: %v", err)
	}
	if kept, err := parseJSON(final); err == nil {
		var lost []string
		dropped(req, kept, "", &lost)
		for _, p := range lost {
			fmt.Fprintf(os.Stderr, "dapclient: warning: line %d: go-dap's %T has no field for %s; not sent\n", st.line, msg, p)
		}
	}
	cmd, ok := req["command"].(string)
	if !ok {
		return scriptErr(st.line, "send: command is not a string after substitution")
	}
	c.lastSeq, c.lastCmd = c.seq, cmd
	kept := c.skipped[:0]
	for _, it := range c.skipped {
		if it.msg.(dap.ResponseMessage).GetResponse().Command != cmd {
			kept = append(kept, it)
		}
	}
	c.skipped = kept
	c.println("-> " + string(final))
	var buf bytes.Buffer
	if err := dap.WriteProtocolMessage(&buf, msg); err != nil {
		return scriptErr(st.line, "send: %v", err)
	}
	c.write(buf.Bytes())
	return nil
}

func (c *client) wait(st *step) *failure {
	what := st.Wait
	if st.match.kind == "response" {
		if c.lastSeq == 0 {
			return scriptErr(st.line, "wait response: no request sent yet")
		}
		what = fmt.Sprintf("response to seq %d (%s)", c.lastSeq, c.lastCmd)
	}
	var got *incoming
	for i, it := range c.skipped {
		if st.match.matches(it.msg, c.lastSeq) {
			hit := it
			got = &hit
			c.skipped = append(c.skipped[:i], c.skipped[i+1:]...)
			break
		}
	}
	timer := time.NewTimer(c.timeout)
	defer timer.Stop()
	for got == nil {
		it := c.next(timer.C)
		if it == nil {
			return &failure{exitTimeout, "TIMEOUT waiting for " + what}
		}
		if it.err != nil {
			return c.endFailure(it, what)
		}
		if st.match.matches(it.msg, c.lastSeq) {
			got = it
		} else if _, ok := it.msg.(dap.ResponseMessage); ok {
			c.skipped = append(c.skipped, *it)
		}
	}
	if st.Save == nil && st.Find == nil {
		return nil
	}
	doc, err := parseJSON(got.json)
	if err != nil {
		return scriptErr(st.line, "%v", err)
	}
	for name, path := range st.Save {
		v, ok := lookup(doc, path)
		if !ok {
			return scriptErr(st.line, "save %q: no %q in %s", name, path, got.json)
		}
		c.vars[name] = v
	}
	for name, f := range st.Find {
		where, err := substitute(f.Where, c.vars)
		if err != nil {
			return scriptErr(st.line, "find %q: %v", name, err)
		}
		f.Where = where.(map[string]interface{})
		arr, ok := lookup(doc, f.In)
		list, isList := arr.([]interface{})
		if !ok || !isList {
			return scriptErr(st.line, "find %q: no array %q in %s", name, f.In, got.json)
		}
		found := false
		for _, el := range list {
			if !matchesWhere(el, f.Where) {
				continue
			}
			v, ok := lookup(el, f.Take)
			if !ok {
				b, _ := json.Marshal(el)
				return scriptErr(st.line, "find %q: no %q in %s (element of %q in %s)", name, f.Take, b, f.In, got.json)
			}
			c.vars[name] = v
			found = true
			break
		}
		if !found {
			w, _ := json.Marshal(f.Where)
			return scriptErr(st.line, "find %q: no element of %q matching %s in %s", name, f.In, w, got.json)
		}
	}
	return nil
}

func matchesWhere(el interface{}, where map[string]interface{}) bool {
	for path, want := range where {
		v, ok := lookup(el, path)
		if !ok || !sameJSON(v, want) {
			return false
		}
	}
	return true
}

// untilEOF prints messages until the adapter's side ends.
func (c *client) untilEOF() *failure {
	timer := time.NewTimer(c.timeout)
	defer timer.Stop()
	for {
		it := c.next(timer.C)
		if it == nil {
			return &failure{exitTimeout, "TIMEOUT waiting for EOF"}
		}
		if it.err != nil {
			if f := c.decodeFailure(it); f != nil {
				return f
			}
			if it.err != io.EOF {
				fmt.Fprintln(os.Stderr, "dapclient: read:", it.err)
			}
			c.println("EOF")
			return nil
		}
	}
}

func (c *client) run(steps []*step) *failure {
	for _, st := range steps {
		var f *failure
		switch {
		case st.Send != nil:
			f = c.send(st)
		case st.Wait != "":
			f = c.wait(st)
		case st.Raw != nil:
			c.println("RAW-> " + strconv.Quote(*st.Raw))
			c.write([]byte(*st.Raw))
		case st.RawBody != nil:
			framed := fmt.Sprintf("Content-Length: %d\r\n\r\n%s", len(*st.RawBody), *st.RawBody)
			c.println("RAW-> " + strconv.Quote(framed))
			c.write([]byte(framed))
		case st.Close != nil:
			c.closeSend()
			c.println("CLOSE")
			f = c.untilEOF()
		case st.ExpectEOF != nil:
			f = c.untilEOF()
		case st.Sleep != nil:
			time.Sleep(time.Duration(*st.Sleep * float64(time.Second)))
		}
		if f != nil {
			return f
		}
	}
	return nil
}

// drainReady prints the messages already received, without waiting.
func (c *client) drainReady() *failure {
	for c.ended == nil {
		select {
		case it, ok := <-c.in:
			if f := c.decodeFailure(c.take(it, ok)); f != nil {
				return f
			}
		default:
			return nil
		}
	}
	return nil
}

// ---- the adapter process ----

type adapter struct {
	cmd  *exec.Cmd
	done chan struct{}
}

func spawn(args []string) (*adapter, io.WriteCloser, io.Reader, error) {
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, nil, nil, err
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = inR, outW, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, nil, nil, err
	}
	inR.Close()
	outW.Close()
	a := &adapter{cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(a.done)
	}()
	return a, inW, outR, nil
}

func (a *adapter) exitLine() string {
	st := a.cmd.ProcessState
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return fmt.Sprintf("ADAPTER-EXIT %d (signal: %v)", 128+int(ws.Signal()), ws.Signal())
	}
	return fmt.Sprintf("ADAPTER-EXIT %d", st.ExitCode())
}

// finish closes our side, waits up to grace for the adapter to exit and
// prints how it ended, killing it if it did not. With read set it prints the
// adapter's remaining messages meanwhile and returns (after printing) a
// DECODE-ERROR failure if one of them does not decode.
func (a *adapter) finish(c *client, grace time.Duration, read bool) *failure {
	c.closeSend()
	end := time.Now().Add(grace)
	var f *failure
	if read {
		stop := time.NewTimer(grace)
		f = c.drainUntil(stop.C, a.done)
		stop.Stop()
		if f != nil {
			c.println(f.line)
		}
	}
	left := time.NewTimer(time.Until(end))
	defer left.Stop()
	select {
	case <-a.done:
		c.println(a.exitLine())
	case <-left.C:
		a.cmd.Process.Kill()
		<-a.done
		c.println("ADAPTER-KILLED")
	}
	return f
}

// drainUntil prints messages until the stream ends or stop fires; once exited
// is closed it allows one more second (a child may hold the pipe open).
func (c *client) drainUntil(stop <-chan time.Time, exited <-chan struct{}) *failure {
	for c.ended == nil {
		select {
		case it, ok := <-c.in:
			if f := c.decodeFailure(c.take(it, ok)); f != nil {
				return f
			}
		case <-exited:
			exited = nil
			t := time.NewTimer(time.Second)
			defer t.Stop()
			stop = t.C
		case <-stop:
			return nil
		}
	}
	return nil
}

// ---- main ----

func dialRetry(addr string, within time.Duration) (net.Conn, error) {
	deadline := time.Now().Add(within)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil || time.Now().After(deadline) {
			return conn, err
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func main() {
	os.Exit(realMain())
}

func realMain() int {
	scriptPath := flag.String("script", "", "script `file`, one JSON step per line")
	addr := flag.String("addr", "", "connect to the adapter at `host:port` instead of spawning it")
	timeout := flag.Float64("timeout", 30, "`seconds` each wait may take")
	flag.Usage = func() {
		fmt.Fprintln(os.Stderr, "usage: dapclient -script FILE [-addr HOST:PORT] [-timeout SECONDS] [-- ADAPTER_COMMAND ARGS...]")
		flag.PrintDefaults()
	}
	flag.Parse()
	command := flag.Args()
	if *scriptPath == "" || (*addr == "") == (len(command) == 0) || *timeout <= 0 {
		flag.Usage()
		return exitUsage
	}
	steps, err := loadScript(*scriptPath)
	if err != nil {
		fmt.Printf("SCRIPT-ERROR: %s: %v\n", *scriptPath, err)
		return exitScript
	}

	c := &client{
		out:     bufio.NewWriter(os.Stdout),
		in:      make(chan incoming, 1024),
		timeout: time.Duration(*timeout * float64(time.Second)),
		vars:    map[string]interface{}{},
	}
	var proc *adapter
	if *addr != "" {
		conn, err := dialRetry(*addr, 5*time.Second)
		if err != nil {
			fmt.Fprintln(os.Stderr, "dapclient:", err)
			return exitIO
		}
		defer conn.Close()
		c.w = conn
		c.closeW = func() error {
			if tc, ok := conn.(*net.TCPConn); ok {
				return tc.CloseWrite()
			}
			return conn.Close()
		}
		go readMessages(conn, c.in)
	} else {
		a, stdin, stdout, err := spawn(command)
		if err != nil {
			fmt.Fprintln(os.Stderr, "dapclient:", err)
			return exitIO
		}
		proc = a
		c.w, c.closeW = stdin, stdin.Close
		go readMessages(stdout, c.in)
	}

	f := c.run(steps)
	if f == nil {
		f = c.drainReady()
	}
	if f != nil {
		c.println(f.line)
		if proc != nil {
			proc.finish(c, 2*time.Second, false)
		}
	} else if proc != nil {
		f = proc.finish(c, 10*time.Second, true)
	}
	c.out.Flush()
	if f != nil {
		return f.code
	}
	return exitOK
}
