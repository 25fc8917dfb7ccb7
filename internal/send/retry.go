package send

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Backoff between attempts when the receiver does not say how long to
// wait: exponential from backoffInitial, doubling, capped at backoffMax,
// each wait drawn at random from its upper half (jitter, so that many
// senders told "busy" at once do not come back at once).
const (
	backoffInitial = 200 * time.Millisecond
	backoffMax     = 5 * time.Second
)

// backoff is the wait before retry number retry (0 for the first), given a
// random number in [0, 1).
func backoff(retry int, random float64) time.Duration {
	d := backoffInitial
	for i := 0; i < retry && d < backoffMax; i++ {
		d *= 2
	}
	d = min(d, backoffMax)
	return d/2 + time.Duration(random*float64(d/2))
}

// parseRetryAfter reads an HTTP Retry-After value: a number of seconds or
// an HTTP date, relative to now. ok is false when there is none or it
// cannot be read; a date in the past is a wait of 0.
func parseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		if secs > int64(24*time.Hour/time.Second) {
			secs = int64(24 * time.Hour / time.Second) // beyond any --timeout anyway
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// sleepCtx waits d or until ctx is done.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
