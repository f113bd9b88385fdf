package events

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
)

// NATSOptions tune Connect; zero values take the defaults in brackets.
type NATSOptions struct {
	// Name identifies the connection on the NATS server [omnify].
	Name string
	// Logger receives disconnects, reconnects and asynchronous errors [discarded].
	Logger *slog.Logger
	// ConnectTimeout bounds the first connection, retried until then [10s].
	ConnectTimeout time.Duration
	// ReconnectWait is the first wait between reconnect attempts; it doubles
	// after each failed attempt up to MaxReconnectWait [100ms].
	ReconnectWait time.Duration
	// MaxReconnectWait caps the wait between reconnect attempts [5s].
	MaxReconnectWait time.Duration
	// ReconnectBufSize is how many bytes of messages published while
	// disconnected are kept to be sent on reconnect; beyond it Publish
	// fails [8 MiB].
	ReconnectBufSize int
	// PingInterval is how often the server is pinged; two unanswered pings
	// count as a lost connection [20s].
	PingInterval time.Duration
	// BufferSize is how many undelivered messages a subscription holds
	// before newer ones are dropped [64, as Local].
	BufferSize int
}

func (o *NATSOptions) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if o.Name == "" {
		o.Name = "omnify"
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	def(&o.ConnectTimeout, 10*time.Second)
	def(&o.ReconnectWait, 100*time.Millisecond)
	def(&o.MaxReconnectWait, 5*time.Second)
	def(&o.PingInterval, 20*time.Second)
	if o.ReconnectBufSize <= 0 {
		o.ReconnectBufSize = 8 << 20
	}
	if o.BufferSize <= 0 {
		o.BufferSize = bufferSize
	}
}

// NATS is the bus shared by the processes of a deployment, through a NATS
// server (core NATS: at most once, no persistence, which is all a liveness
// bus needs). The client reconnects by itself, forever, with backoff; its
// subscriptions are restored on reconnect, and messages published while
// disconnected are buffered (NATSOptions.ReconnectBufSize) and sent then.
// Check reports the connection's state for readiness probes.
//
// However many subscribers a process has on one subject, it holds one
// NATS subscription for it: the NATS client runs a goroutine and keeps a
// pending queue per subscription, and a server round trip confirms each,
// which a thousand dashboards watching one organization would otherwise
// pay a thousand times. The subject's messages are offered to each local
// subscriber's buffer in turn.
type NATS struct {
	conn       *nats.Conn
	url        string // redacted, for messages
	bufferSize int

	mu       sync.Mutex
	closed   bool
	subs     map[*natsSub]struct{}
	subjects map[string]*natsSubject
}

// natsSubject is the one NATS subscription of a subject in this process,
// and its local subscribers.
type natsSubject struct {
	name  string
	ns    *nats.Subscription
	ready chan struct{} // closed once the server confirmed ns (or could not)

	mu   sync.Mutex // guards subs against the NATS client's delivery
	subs map[*natsSub]struct{}
}

// deliver offers a message to every local subscriber, never waiting.
func (t *natsSubject) deliver(m *nats.Msg) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for s := range t.subs {
		s.offer(m.Data)
	}
}

// natsSub is one local subscription: its subject's delivery offers each
// message to ch without blocking.
type natsSub struct {
	sub     *Subscription
	subject *natsSubject
	once    sync.Once

	mu   sync.Mutex // guards ch against a send after close
	ch   chan []byte
	done bool
}

func (s *natsSub) offer(data []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	select {
	case s.ch <- data:
	default:
		s.sub.dropped.Add(1)
	}
}

// Connect connects to the NATS server(s) at url (nats://host:port, or
// several separated by commas), retrying until ctx ends or
// opts.ConnectTimeout passes. After that the connection is never given up:
// losing it is reported by Check and repaired in the background.
func Connect(ctx context.Context, url string, opts NATSOptions) (*NATS, error) {
	opts.defaults()
	logger := opts.Logger
	shown := redactURLs(url)
	connected := make(chan struct{})
	var once sync.Once
	nc, err := nats.Connect(url,
		nats.Name(opts.Name),
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.CustomReconnectDelay(backoff(opts.ReconnectWait, opts.MaxReconnectWait)),
		nats.ReconnectBufSize(opts.ReconnectBufSize),
		nats.PingInterval(opts.PingInterval),
		nats.MaxPingsOutstanding(2),
		nats.ConnectHandler(func(*nats.Conn) { once.Do(func() { close(connected) }) }),
		nats.DisconnectErrHandler(func(c *nats.Conn, err error) {
			if c.IsClosed() {
				return // closed on purpose
			}
			logger.Warn("events: lost the NATS connection; reconnecting", slog.String("url", shown), slog.Any("error", err))
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			logger.Info("events: reconnected to NATS", slog.String("server", redactURLs(c.ConnectedUrlRedacted())))
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			logger.Warn("events: NATS error", slog.Any("error", err))
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("events: connect to NATS at %s: %w", shown, err)
	}
	wait, cancel := context.WithTimeout(ctx, opts.ConnectTimeout)
	defer cancel()
	select {
	case <-connected:
	case <-wait.Done():
		if !nc.IsConnected() {
			nc.Close()
			return nil, fmt.Errorf("events: NATS at %s did not answer within %s", shown, opts.ConnectTimeout)
		}
	}
	return &NATS{conn: nc, url: shown, bufferSize: opts.BufferSize, subs: map[*natsSub]struct{}{}, subjects: map[string]*natsSubject{}}, nil
}

// backoff is the wait before reconnect attempt n (from 1): doubling from
// lo up to hi, with up to a fifth added at random so that replicas that
// lost the server together do not return together.
func backoff(lo, hi time.Duration) nats.ReconnectDelayHandler {
	return func(attempts int) time.Duration {
		d := lo
		for i := 1; i < attempts && d < hi; i++ {
			d *= 2
		}
		d = min(d, hi)
		return d + rand.N(d/5+1)
	}
}

// redactURLs hides the passwords of a comma-separated list of server URLs.
func redactURLs(list string) string {
	parts := strings.Split(list, ",")
	for i, p := range parts {
		p = strings.TrimSpace(p)
		if u, err := url.Parse(p); err == nil && u.User != nil {
			p = u.Redacted()
		}
		parts[i] = p
	}
	return strings.Join(parts, ",")
}

// Publish sends data to every subscriber of subject on any process. It does
// not wait for them: while connected the message is queued for the server,
// while reconnecting it is kept for the reconnect until the reconnect
// buffer is full (then Publish fails; the stored state is unaffected).
func (b *NATS) Publish(_ context.Context, subject string, data []byte) error {
	if err := ValidSubject(subject); err != nil {
		return err
	}
	if err := b.conn.Publish(subject, data); err != nil {
		if errors.Is(err, nats.ErrConnectionClosed) {
			return ErrClosed
		}
		return fmt.Errorf("events: publish on %s: %w", subject, err)
	}
	return nil
}

// subscribeFlushWait bounds the wait, in Subscribe, for the server to
// confirm the subscription.
const subscribeFlushWait = 2 * time.Second

// Subscribe registers a subscriber on subject. When connected, it returns
// once the server has the subject's subscription, so that anything
// published after it returns is delivered; while reconnecting, the
// subscription is made on reconnect. The first subscriber of a subject in
// this process subscribes on the server; later ones join it (waiting, at
// most as long, for the server to confirm it).
func (b *NATS) Subscribe(ctx context.Context, subject string) (*Subscription, error) {
	if err := ValidSubject(subject); err != nil {
		return nil, err
	}
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil, ErrClosed
	}
	t, joined := b.subjects[subject]
	if !joined {
		t = &natsSubject{name: subject, ready: make(chan struct{}), subs: map[*natsSub]struct{}{}}
		ns, err := b.conn.Subscribe(subject, t.deliver)
		if err != nil {
			b.mu.Unlock()
			if errors.Is(err, nats.ErrConnectionClosed) {
				return nil, ErrClosed
			}
			return nil, fmt.Errorf("events: subscribe to %s: %w", subject, err)
		}
		t.ns = ns
		b.subjects[subject] = t
	}
	s := &natsSub{subject: t, ch: make(chan []byte, b.bufferSize)}
	s.sub = &Subscription{C: s.ch}
	s.sub.close = func() { b.end(s) }
	t.mu.Lock()
	t.subs[s] = struct{}{}
	t.mu.Unlock()
	b.subs[s] = struct{}{}
	b.mu.Unlock()

	fctx, cancel := context.WithTimeout(ctx, subscribeFlushWait)
	if joined {
		select {
		case <-t.ready:
		case <-fctx.Done():
		}
	} else {
		if b.conn.IsConnected() {
			// An error leaves the subscription to be confirmed by the server later.
			_ = b.conn.FlushWithContext(fctx)
		}
		close(t.ready)
	}
	cancel()
	context.AfterFunc(ctx, s.sub.close)
	return s.sub, nil
}

// end closes one subscription: no more messages, then its channel closes.
// The last local subscriber of a subject unsubscribes from the server.
func (b *NATS) end(s *natsSub) {
	s.once.Do(func() {
		t := s.subject
		b.mu.Lock()
		t.mu.Lock()
		delete(t.subs, s)
		last := len(t.subs) == 0
		t.mu.Unlock()
		if last && b.subjects[t.name] == t {
			delete(b.subjects, t.name)
			_ = t.ns.Unsubscribe() // fails only when the connection is closed, which ends it too
		}
		delete(b.subs, s)
		b.mu.Unlock()
		s.mu.Lock()
		s.done = true
		close(s.ch)
		s.mu.Unlock()
	})
}

// Check reports an error unless the connection to NATS is up and the
// server answers a ping within ctx.
func (b *NATS) Check(ctx context.Context) error {
	switch st := b.conn.Status(); st {
	case nats.CONNECTED:
	case nats.CLOSED:
		return ErrClosed
	default:
		return fmt.Errorf("events: NATS at %s is %s", b.url, strings.ToLower(st.String()))
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, subscribeFlushWait)
		defer cancel()
	}
	if err := b.conn.FlushWithContext(ctx); err != nil {
		return fmt.Errorf("events: NATS at %s does not answer: %w", b.url, err)
	}
	return nil
}

// Close ends every subscription, sends what is still queued and closes the
// connection.
func (b *NATS) Close() error {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return nil
	}
	b.closed = true
	all := make([]*natsSub, 0, len(b.subs))
	for s := range b.subs {
		all = append(all, s)
	}
	b.mu.Unlock()
	for _, s := range all {
		b.end(s)
	}
	// Flush what was published, then close. A flush fails only when the
	// server is unreachable, and then nothing more can be done.
	ctx, cancel := context.WithTimeout(context.Background(), subscribeFlushWait)
	if b.conn.IsConnected() {
		_ = b.conn.FlushWithContext(ctx)
	}
	cancel()
	b.conn.Close()
	return nil
}
