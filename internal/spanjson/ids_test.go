package spanjson

import (
	"errors"
	"testing"
)

func TestParseTraceID(t *testing.T) {
	const hexID = "0af7651916cd43dd8448eb211c80319c"
	tests := []struct {
		in      string
		want    string
		wantErr bool
	}{
		{in: hexID, want: hexID},
		{in: "0x" + hexID, want: hexID},
		{in: "tr-" + hexID, want: hexID},
		{in: "0AF7651916CD43DD8448EB211C80319C", want: hexID},
		{in: "CvdlGRbNQ92ESOshHIAxnA==", want: hexID}, // base64 of the same bytes (formats.md §3.2)
		{in: "CvdlGRbNQ92ESOshHIAxnA", want: hexID},   // unpadded
		{in: "67wYVbZ6XIS4mDnbwRydBg==", want: "ebbc1855b67a5c84b89839dbc11c9d06"},
		{in: "", want: "00000000000000000000000000000000"},
		{in: "<redacted>", wantErr: true},
		{in: "0af7", wantErr: true},
		{in: hexID + "00", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseTraceID(tt.in)
		if tt.wantErr {
			if !errors.Is(err, ErrInvalidID) {
				t.Errorf("ParseTraceID(%q) error = %v, want ErrInvalidID", tt.in, err)
			}
			if !got.IsZero() {
				t.Errorf("ParseTraceID(%q) = %s on error, want zero", tt.in, got)
			}
			continue
		}
		if err != nil || got.String() != tt.want {
			t.Errorf("ParseTraceID(%q) = %s, %v; want %s", tt.in, got, err, tt.want)
		}
	}
}

func TestParseSpanIDPrefersHexForSixteenChars(t *testing.T) {
	// "b7ad6b7169203331" is valid hex (8 bytes) and valid base64 (12 bytes);
	// the expected length decides.
	got, err := ParseSpanID("b7ad6b7169203331")
	if err != nil || got.String() != "b7ad6b7169203331" {
		t.Fatalf("got %s, %v", got, err)
	}
	got, err = ParseSpanID("t61rcWkgMzE=")
	if err != nil || got.String() != "b7ad6b7169203331" {
		t.Fatalf("base64: got %s, %v", got, err)
	}
	got, err = ParseSpanID("0x84f212578f747953")
	if err != nil || got.String() != "84f212578f747953" {
		t.Fatalf("0x hex: got %s, %v", got, err)
	}
}

func TestIDEncodingsRoundTrip(t *testing.T) {
	id := TraceID{0x0a, 0xf7, 0x65, 0x19, 0x16, 0xcd, 0x43, 0xdd, 0x84, 0x48, 0xeb, 0x21, 0x1c, 0x80, 0x31, 0x9c}
	if got := id.MLflowID(); got != "tr-0af7651916cd43dd8448eb211c80319c" {
		t.Errorf("MLflowID = %s", got)
	}
	for _, s := range []string{id.String(), id.Base64(), id.MLflowID()} {
		back, err := ParseTraceID(s)
		if err != nil || back != id {
			t.Errorf("ParseTraceID(%q) = %s, %v", s, back, err)
		}
	}
	sid := SpanID{1, 2, 3, 4, 5, 6, 7, 8}
	back, err := ParseSpanID(sid.Base64())
	if err != nil || back != sid {
		t.Errorf("span base64 round trip = %s, %v", back, err)
	}
}

func TestOpaqueIDsAreStableAndNonZero(t *testing.T) {
	first, second := OpaqueSpanID("<redacted>"), OpaqueSpanID("<"+"redacted>")
	if first != second {
		t.Fatal("OpaqueSpanID is not deterministic")
	}
	if OpaqueSpanID("<redacted>") == OpaqueSpanID("<other>") {
		t.Fatal("different texts gave the same span id")
	}
	if OpaqueTraceID("<redacted>").IsZero() || OpaqueSpanID("").IsZero() {
		t.Fatal("opaque id is zero")
	}
}

// Base64 text that starts with "0x" is not hex with a prefix.
func TestParseSpanIDBase64StartingWith0x(t *testing.T) {
	want := SpanID{0xd3, 0x1e, 0x5b, 0x1b, 0x83, 0x68, 0xdd, 0xf2}
	got, err := ParseSpanID(want.Base64())
	if err != nil || got != want {
		t.Errorf("ParseSpanID(%q) = %v, %v; want %v", want.Base64(), got, err, want)
	}
}
