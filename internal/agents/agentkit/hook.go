package agentkit

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"time"
	"unicode/utf8"
)

// HookPath is where the service reports progress.
const HookPath = "/hooks/agentkit/events"

// ErrUnknownExecution is what a Sink returns for a report about an
// execution that does not exist, or is not an external agent's.
var ErrUnknownExecution = errors.New("agentkit: unknown execution")

// ErrFinished is what a Sink returns for a report about an execution that
// has ended already; the hook answers 409.
var ErrFinished = errors.New("agentkit: the execution has ended")

// Sink records reports. The agents runtime implements it.
type Sink interface {
	// Record stores r as event r.Sequence of its execution. A report whose
	// sequence was recorded before is a replay: it returns nil and changes
	// nothing. It returns ErrUnknownExecution or ErrFinished as they apply.
	Record(ctx context.Context, r Report) error
}

// Hook returns the handler of HookPath: it accepts POSTs whose signature
// verifies with secret and hands the report to sink. It answers 401 for a
// bad or stale signature, 400 for a malformed report, 404 for an unknown
// execution, 409 for one that has ended, and 204 once recorded (or replayed).
func Hook(secret []byte, sink Sink, logger *slog.Logger, now func() time.Time) http.Handler {
	if now == nil {
		now = time.Now
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			w.Header().Set("Allow", http.MethodPost)
			hookError(w, http.StatusMethodNotAllowed, "POST a signed report.")
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, MaxReportBytes+1))
		if err != nil {
			hookError(w, http.StatusBadRequest, "The body could not be read.")
			return
		}
		if len(body) > MaxReportBytes {
			hookError(w, http.StatusRequestEntityTooLarge, "A report is at most 256 KiB.")
			return
		}
		if err := Verify(secret, now(), r.Header.Get(HeaderTimestamp), r.Header.Get(HeaderSignature), body); err != nil {
			hookError(w, http.StatusUnauthorized, "The signature is missing, stale or wrong.")
			return
		}
		var rep Report
		if err := json.Unmarshal(body, &rep); err != nil {
			hookError(w, http.StatusBadRequest, "The body is not a report.")
			return
		}
		if msg := invalid(rep); msg != "" {
			hookError(w, http.StatusBadRequest, msg)
			return
		}
		switch err := sink.Record(r.Context(), rep); {
		case err == nil:
			w.WriteHeader(http.StatusNoContent)
		case errors.Is(err, ErrUnknownExecution):
			hookError(w, http.StatusNotFound, "No external execution has this id.")
		case errors.Is(err, ErrFinished):
			hookError(w, http.StatusConflict, "The execution has ended.")
		default:
			logger.Error("record an agent service report", slog.String("execution_id", rep.ExecutionID), slog.Any("error", err))
			hookError(w, http.StatusInternalServerError, "The report could not be recorded; send it again.")
		}
	})
}

// invalid says what is wrong with a report, or "" when nothing is.
func invalid(r Report) string {
	switch {
	case r.ExecutionID == "" || len(r.ExecutionID) > 128:
		return "executionId is required."
	case r.Sequence < 1 || r.Sequence > 1_000_000:
		return "sequence must be between 1 and 1000000."
	case !slices.Contains(ReportTypes, r.Type):
		return "type is not one of STARTED, STEP_STARTED, LOG, FINDING, STEP_COMPLETED, SUCCEEDED, FAILED."
	case len(r.Message) > MaxMessageBytes || !utf8.ValidString(r.Message):
		return "message must be valid UTF-8 of at most 4 KiB."
	case len(r.Data) > 0 && !json.Valid(r.Data):
		return "data must be JSON."
	case r.At.IsZero():
		return "at is required."
	}
	return ""
}

func hookError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
