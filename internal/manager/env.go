package manager

import (
	"log/slog"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// envSeconds reads a duration in seconds (fractions allowed). Unset or
// empty is ok=false silently; a bad value (not a number, negative, or zero
// when zero is not allowed) is ok=false with a warning, so the caller keeps
// its default.
func envSeconds(name string, zeroOK bool) (time.Duration, bool) {
	return parseSeconds(name, os.Getenv(name), zeroOK)
}

// parseSeconds is envSeconds for the value v of variable name.
func parseSeconds(name, v string, zeroOK bool) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || f < 0 || (f == 0 && !zeroOK) || f > math.MaxInt64/float64(time.Second) {
		slog.Warn("manager: ignoring bad environment value, keeping the default", "var", name, "value", v)
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// envPositiveInt reads a positive integer; see envSeconds for bad values.
func envPositiveInt(name string) (int, bool) {
	v := strings.TrimSpace(os.Getenv(name))
	if v == "" {
		return 0, false
	}
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		slog.Warn("manager: ignoring bad environment value, keeping the default", "var", name, "value", v)
		return 0, false
	}
	return n, true
}
