package mongodb

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"go.mongodb.org/mongo-driver/v2/event"
)

// Metrics are the database series a process exports: the driver's
// connection pool, command durations by command, and, with the embedded
// engine, the SQLite files it holds open, so that a leak shows on a graph
// before it hangs anything. It implements prometheus.Collector.
type Metrics struct {
	poolOpen       prometheus.Gauge
	poolCheckedOut prometheus.Gauge
	poolWait       prometheus.Histogram
	poolFailed     prometheus.Counter
	commands       *prometheus.HistogramVec
	commandErrors  *prometheus.CounterVec
	bulkRetries    prometheus.Counter
	embedded       *Embedded
}

func newMetrics() *Metrics {
	return &Metrics{
		poolOpen: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "omnify_mongodb_pool_connections",
			Help: "Connections the driver holds open to the database.",
		}),
		poolCheckedOut: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "omnify_mongodb_pool_checked_out_connections",
			Help: "Connections in use by a command right now.",
		}),
		poolWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "omnify_mongodb_pool_wait_seconds",
			Help:    "Time a command waited for a connection from the pool.",
			Buckets: []float64{.0001, .0005, .001, .005, .01, .05, .1, .5, 1, 5},
		}),
		poolFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "omnify_mongodb_pool_checkout_failures_total",
			Help: "Commands that got no connection from the pool (deadline passed, pool closed).",
		}),
		commands: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "omnify_mongodb_command_duration_seconds",
			Help:    "Database command round trips, by command name.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5},
		}, []string{"command"}),
		commandErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "omnify_mongodb_command_errors_total",
			Help: "Database commands that failed (server error, network error or deadline), by command name.",
		}, []string{"command"}),
		bulkRetries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "omnify_mongodb_bulk_retries_total",
			Help: "Bulk write commands sent again after they timed out (a busy database).",
		}),
	}
}

// knownCommands bounds the command label: the driver only sends these, and
// anything else is counted as "other".
var knownCommands = map[string]bool{
	"find": true, "getMore": true, "insert": true, "update": true, "delete": true,
	"findAndModify": true, "aggregate": true, "count": true, "distinct": true,
	"createIndexes": true, "listIndexes": true, "listCollections": true, "drop": true,
	"dropDatabase": true, "killCursors": true, "endSessions": true, "ping": true,
	"hello": true, "isMaster": true, "buildInfo": true,
}

func commandLabel(name string) string {
	if knownCommands[name] {
		return name
	}
	return "other"
}

// commandMonitor times every command and passes the events on to next.
func (m *Metrics) commandMonitor(next *event.CommandMonitor) *event.CommandMonitor {
	if next == nil {
		next = &event.CommandMonitor{}
	}
	return &event.CommandMonitor{
		Started: next.Started,
		Succeeded: func(ctx context.Context, e *event.CommandSucceededEvent) {
			m.commands.WithLabelValues(commandLabel(e.CommandName)).Observe(e.Duration.Seconds())
			if next.Succeeded != nil {
				next.Succeeded(ctx, e)
			}
		},
		Failed: func(ctx context.Context, e *event.CommandFailedEvent) {
			label := commandLabel(e.CommandName)
			m.commands.WithLabelValues(label).Observe(e.Duration.Seconds())
			m.commandErrors.WithLabelValues(label).Inc()
			if next.Failed != nil {
				next.Failed(ctx, e)
			}
		},
	}
}

// poolMonitor follows the driver's connection pool.
func (m *Metrics) poolMonitor() *event.PoolMonitor {
	return &event.PoolMonitor{Event: func(e *event.PoolEvent) {
		switch e.Type {
		case event.ConnectionCreated:
			m.poolOpen.Inc()
		case event.ConnectionClosed:
			m.poolOpen.Dec()
		case event.ConnectionCheckedOut:
			m.poolCheckedOut.Inc()
			m.poolWait.Observe(e.Duration.Seconds())
		case event.ConnectionCheckedIn:
			m.poolCheckedOut.Dec()
		case event.ConnectionCheckOutFailed:
			m.poolFailed.Inc()
			m.poolWait.Observe(e.Duration.Seconds())
		}
	}}
}

var sqliteDesc = prometheus.NewDesc("omnify_mongodb_sqlite_open_files",
	"SQLite database files the embedded engine holds open: one per pooled SQLite connection (idle or in use).", nil, nil)

// Describe implements prometheus.Collector.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	m.poolOpen.Describe(ch)
	m.poolCheckedOut.Describe(ch)
	m.poolWait.Describe(ch)
	m.poolFailed.Describe(ch)
	m.commands.Describe(ch)
	m.commandErrors.Describe(ch)
	m.bulkRetries.Describe(ch)
	ch <- sqliteDesc
}

// Collect implements prometheus.Collector.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	m.poolOpen.Collect(ch)
	m.poolCheckedOut.Collect(ch)
	m.poolWait.Collect(ch)
	m.poolFailed.Collect(ch)
	m.commands.Collect(ch)
	m.commandErrors.Collect(ch)
	m.bulkRetries.Collect(ch)
	if m.embedded != nil {
		if n := m.embedded.OpenSQLiteFiles(""); n >= 0 {
			ch <- prometheus.MustNewConstMetric(sqliteDesc, prometheus.GaugeValue, float64(n))
		}
	}
}

// OpenSQLiteFiles counts the SQLite files under dir that the process pid
// holds open (one per SQLite connection): those of the database called
// database, or of every database when it is empty. It returns -1 where the
// system does not say (only Linux's /proc is read).
func OpenSQLiteFiles(pid int, dir, database string) int {
	fdDir := filepath.Join("/proc", strconv.Itoa(pid), "fd")
	fds, err := os.ReadDir(fdDir)
	if err != nil {
		return -1
	}
	prefix := filepath.Clean(dir) + string(filepath.Separator)
	n := 0
	for _, fd := range fds {
		target, err := os.Readlink(filepath.Join(fdDir, fd.Name()))
		if err != nil {
			continue
		}
		if !strings.HasPrefix(target, prefix) || !strings.HasSuffix(target, ".sqlite") {
			continue
		}
		if database == "" || filepath.Base(target) == database+".sqlite" {
			n++
		}
	}
	return n
}
