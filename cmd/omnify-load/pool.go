package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// A pool holds the subscribers: in this process (localPool), or spread
// over child processes (childPool), since a process may open no more
// files than its limit and each subscriber is a socket.
type pool interface {
	// connect opens the subscribers; it reports how many are subscribed
	// and why the others failed.
	connect(ctx context.Context) (int, map[string]int, error)
	// delivered is how many events the subscribers have received so far.
	delivered() int64
	// leave closes every socket and returns what each subscriber got.
	leave(ctx context.Context) (poolResult, error)
}

// poolSpec is what every subscriber of a run shares.
type poolSpec struct {
	URLs     []string       `json:"urls"`
	Cookie   string         `json:"cookie"`
	APIKey   string         `json:"apiKey"`
	Vars     map[string]any `json:"vars"`
	Document string         `json:"document"`
	N        int            `json:"n"`      // subscribers of this pool
	Offset   int            `json:"offset"` // the first one's index in the run
}

// poolResult is what the subscribers saw: per subscriber, each event's
// own time and its receipt (Unix nanoseconds; 0 for no time), and why
// some ended early.
type poolResult struct {
	Got    [][][2]int64   `json:"got"`
	Ended  map[string]int `json:"ended"`
	Errors int64          `json:"errors"`
	Lost   int64          `json:"lost"`
}

// localPool holds its subscribers' sockets in this process.
type localPool struct {
	o    options
	spec poolSpec

	t       tally
	leaving atomic.Bool
	subs    []*subscriber
}

func (p *localPool) connect(ctx context.Context) (int, map[string]int, error) {
	var (
		mu   sync.Mutex
		errs = map[string]int{}
		next atomic.Int64
		wg   sync.WaitGroup
	)
	o := p.o
	o.urls = p.spec.URLs
	for range min(o.concurrency, p.spec.N) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= p.spec.N || ctx.Err() != nil {
					return
				}
				s, err := dial(ctx, o, p.spec.Offset+i, p.spec.Cookie, p.spec.APIKey, p.spec.Vars, p.spec.Document)
				mu.Lock()
				if err != nil {
					errs[shortError(err)]++
				} else {
					p.subs = append(p.subs, s)
				}
				mu.Unlock()
				if s != nil {
					go s.read(&p.t, &p.leaving)
				}
			}
		})
	}
	wg.Wait()
	return len(p.subs), errs, nil
}

func (p *localPool) delivered() int64 { return p.t.delivered.Load() }

func (p *localPool) leave(context.Context) (poolResult, error) {
	p.leaving.Store(true)
	for _, s := range p.subs {
		s.writeMu.Lock()
		_ = s.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		s.writeMu.Unlock()
		_ = s.conn.Close()
	}
	res := poolResult{Ended: map[string]int{}, Errors: p.t.errors.Load(), Lost: p.t.lost.Load()}
	for _, s := range p.subs {
		<-s.done
		got := make([][2]int64, len(s.got))
		for j, r := range s.got {
			if !r.at.IsZero() {
				got[j][0] = r.at.UnixNano()
			}
			got[j][1] = r.got.UnixNano()
		}
		res.Got = append(res.Got, got)
		if s.ended != "" {
			res.Ended[shortError(errors.New(s.ended))]++
		}
	}
	return res, nil
}

// childPool spreads its subscribers over -clients processes of this
// program (-child), each a localPool. It talks to them in lines of JSON:
// it writes the spec, and then "leave"; a child answers with its connect
// result, its delivered count every 100 ms, and its result.
type childPool struct {
	o    options
	spec poolSpec

	children []*child
}

// child is one -child process.
type child struct {
	cmd       *exec.Cmd
	in        io.WriteCloser
	lines     chan childLine
	delivered atomic.Int64
	result    chan poolResult
}

// childLine is one line a child writes.
type childLine struct {
	Connected *int           `json:"connected,omitempty"`
	Errs      map[string]int `json:"errs,omitempty"`
	Delivered *int64         `json:"delivered,omitempty"`
	Result    *poolResult    `json:"result,omitempty"`
	Error     string         `json:"error,omitempty"`
}

func (p *childPool) connect(ctx context.Context) (int, map[string]int, error) {
	self, err := os.Executable()
	if err != nil {
		return 0, nil, err
	}
	total, errs := 0, map[string]int{}
	per := (p.spec.N + p.o.clients - 1) / p.o.clients
	for k := range p.o.clients {
		spec := p.spec
		spec.Offset, spec.N = k*per, min(per, p.spec.N-k*per)
		if spec.N <= 0 {
			break
		}
		c := &child{lines: make(chan childLine, 1), result: make(chan poolResult, 1)}
		c.cmd = exec.CommandContext(ctx, self, "-child", "-auth", p.o.auth,
			"-concurrency", strconv.Itoa(max(1, p.o.concurrency/p.o.clients)), "-source-ips", strconv.Itoa(p.o.sourceIPs),
			"-dial-timeout", p.o.dialTimeout.String())
		c.cmd.Stderr = os.Stderr
		if c.in, err = c.cmd.StdinPipe(); err != nil {
			return 0, nil, err
		}
		out, err := c.cmd.StdoutPipe()
		if err != nil {
			return 0, nil, err
		}
		if err := c.cmd.Start(); err != nil {
			return 0, nil, err
		}
		p.children = append(p.children, c)
		go c.readLines(out)
		line, _ := json.Marshal(spec)
		if _, err := c.in.Write(append(line, '\n')); err != nil {
			return 0, nil, err
		}
	}
	for _, c := range p.children {
		select {
		case l, ok := <-c.lines:
			if !ok || l.Connected == nil {
				return 0, nil, fmt.Errorf("a client process failed: %s", l.Error)
			}
			total += *l.Connected
			for e, n := range l.Errs {
				errs[e] += n
			}
		case <-ctx.Done():
			return 0, nil, ctx.Err()
		}
	}
	return total, errs, nil
}

// readLines reads the child's lines: the first goes to lines, delivered
// counts update the child, the result goes to result.
func (c *child) readLines(r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<30)
	first := true
	for sc.Scan() {
		var l childLine
		if json.Unmarshal(sc.Bytes(), &l) != nil {
			continue
		}
		switch {
		case first:
			first = false
			c.lines <- l
		case l.Delivered != nil:
			c.delivered.Store(*l.Delivered)
		case l.Result != nil:
			c.result <- *l.Result
		}
	}
	if first {
		close(c.lines)
	}
	close(c.result)
}

func (p *childPool) delivered() int64 {
	var n int64
	for _, c := range p.children {
		n += c.delivered.Load()
	}
	return n
}

func (p *childPool) leave(ctx context.Context) (poolResult, error) {
	for _, c := range p.children {
		_, _ = io.WriteString(c.in, "leave\n")
	}
	res := poolResult{Ended: map[string]int{}}
	for _, c := range p.children {
		select {
		case r, ok := <-c.result:
			if !ok {
				return res, errors.New("a client process ended without its result")
			}
			res.Got = append(res.Got, r.Got...)
			res.Errors += r.Errors
			res.Lost += r.Lost
			for e, n := range r.Ended {
				res.Ended[e] += n
			}
		case <-ctx.Done():
			return res, ctx.Err()
		}
		_ = c.in.Close()
		_ = c.cmd.Wait()
	}
	return res, nil
}

// runChild is a -child process: it reads its spec, connects, reports, and
// leaves when told.
func runChild(ctx context.Context, o options, in io.Reader, out io.Writer) error {
	r := bufio.NewReader(in)
	line, err := r.ReadBytes('\n')
	if err != nil {
		return err
	}
	var spec poolSpec
	if err := json.Unmarshal(line, &spec); err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	var mu sync.Mutex
	emit := func(l childLine) {
		mu.Lock()
		defer mu.Unlock()
		_ = enc.Encode(l)
	}
	p := &localPool{o: o, spec: spec}
	n, errs, err := p.connect(ctx)
	if err != nil {
		emit(childLine{Error: err.Error()})
		return err
	}
	emit(childLine{Connected: &n, Errs: errs})
	leave := make(chan struct{})
	go func() {
		for {
			l, err := r.ReadString('\n')
			if err != nil || l == "leave\n" {
				close(leave)
				return
			}
		}
	}()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			d := p.delivered()
			emit(childLine{Delivered: &d})
		case <-leave:
			res, err := p.leave(ctx)
			if err != nil {
				return err
			}
			emit(childLine{Result: &res})
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
