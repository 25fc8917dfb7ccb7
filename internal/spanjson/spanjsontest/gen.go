// Package spanjsontest generates synthetic traces for tests and benchmarks.
package spanjsontest

import (
	"bufio"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"time"
)

// spanTypes is the mix of span types, weighted by repetition.
var spanTypes = []string{
	"CHAIN", "CHAIN", "CHAT_MODEL", "CHAT_MODEL", "CHAT_MODEL", "LLM", "RETRIEVER", "RETRIEVER",
	"TOOL", "TOOL", "TOOL", "EMBEDDING", "PARSER", "RERANKER", "AGENT",
}

var words = []string{
	"apple", "pie", "recipe", "oven", "butter", "flour", "sugar", "cinnamon", "crust", "bake",
	"the", "a", "of", "to", "and", "with", "for", "minutes", "until", "golden", "serve", "warm",
	"search", "index", "query", "document", "result", "score", "model", "answer", "question", "tool",
}

// WriteV3Trace writes one MLflow v3 trace ({"info","data":{"spans"}}) of n
// spans to w, deterministic for a seed: a realistic mix of span types,
// nesting, inputs/outputs and some error spans with exception events.
// 1,000,000 spans is about 570 MB (about 590 bytes a span: the fixed
// members of an MLflow 3 span dict alone take about 400). The trace is
// written as it is made, so memory stays small for any n.
func WriteV3Trace(w io.Writer, n int, seed int64) error {
	return WriteV3TraceShaped(w, n, seed, Nested)
}

// Shape is how a generated trace's spans are linked to their parents.
type Shape int

const (
	// Nested lays spans out in time as a call stack does: each span
	// inside its parent's time, depth at most 13.
	Nested Shape = iota
	// Wide makes every span a child of the root.
	Wide
	// Deep gives each span one of the 8 spans before it as its parent
	// (one in a hundred an earlier one): chains hundreds of thousands of
	// spans deep in a large trace.
	Deep
	// RandomParents gives each span a parent drawn from all the spans
	// before it.
	RandomParents
)

// Shapes are the shapes, in order, with their names.
var Shapes = []struct {
	Name  string
	Shape Shape
}{{"nested", Nested}, {"wide", Wide}, {"deep", Deep}, {"random", RandomParents}}

// WriteV3TraceShaped is WriteV3Trace with the spans linked as shape says.
// Apart from Nested, a span's times do not depend on its parent's: a child
// may start after its parent ended, or outlive it.
func WriteV3TraceShaped(w io.Writer, n int, seed int64, shape Shape) error {
	g := &gen{
		r:     rand.New(rand.NewPCG(uint64(seed), 0x5eed)),
		bw:    bufio.NewWriterSize(w, 256<<10),
		shape: shape,
	}
	return g.trace(n)
}

type gen struct {
	r       *rand.Rand
	bw      *bufio.Writer
	shape   Shape
	buf     []byte // the span being written
	inner   []byte // scratch: an attribute's JSON text before encoding
	traceID [16]byte
	root    [8]byte
	ids     [][8]byte // every span's id so far, for the shapes but Nested
}

// pickParent returns the index of span i's parent for the shapes but
// Nested (i > 0).
func (g *gen) pickParent(i int) int {
	switch g.shape {
	case Wide:
		return 0
	case Deep:
		if g.r.IntN(100) == 0 {
			return g.r.IntN(i)
		}
		return i - 1 - g.r.IntN(min(8, i))
	}
	return g.r.IntN(i)
}

func (g *gen) trace(n int) error {
	for i := range g.traceID {
		g.traceID[i] = byte(g.r.IntN(256))
	}
	hexID := hex.EncodeToString(g.traceID[:])
	b64Trace := base64.StdEncoding.EncodeToString(g.traceID[:])
	start := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC).UnixNano() + g.r.Int64N(1e9)
	// Spans are laid out in time: each span starts after the previous one
	// and ends before its parent ends (parents get a generous end).
	step := int64(1_000_000) // 1 ms between span starts
	total := int64(n+1) * step
	fmt.Fprintf(g.bw, `{"info":{"trace_id":"tr-%s","client_request_id":"req-%d","trace_location":{"type":"MLFLOW_EXPERIMENT","mlflow_experiment":{"experiment_id":"1234"}},`+
		`"request_time":%q,"execution_duration_ms":%d,"state":"OK","request_preview":"What is a good apple pie recipe?","response_preview":"Preheat the oven to 220 C...",`+
		`"trace_metadata":{"mlflow.trace_schema.version":"3","mlflow.trace.tokenUsage":"{\"input_tokens\": 27, \"output_tokens\": 641, \"total_tokens\": 668}"},`+
		`"tags":{"mlflow.traceName":"predict"}},"data":{"spans":[`,
		hexID, g.r.IntN(1e6), time.Unix(0, start).UTC().Format("2006-01-02T15:04:05.000Z"), total/1e6)

	type open struct {
		id  [8]byte
		end int64
	}
	var stack []open // ancestors of the next span
	reqID := `"\"tr-` + hexID + `\""`
	for i := range n {
		var id [8]byte
		for k := range id {
			id[k] = byte(g.r.IntN(256))
		}
		id[0] |= 1 // never the zero id
		st := start + int64(i)*step
		var end int64
		if g.shape != Nested {
			g.ids = append(g.ids, id)
			stack = stack[:0]
			switch {
			case i == 0:
				end = start + total
			default:
				stack = append(stack, open{id: g.ids[g.pickParent(i)]})
				end = st + step/2 + g.r.Int64N(step*int64(1+g.r.IntN(40)))
			}
		} else {
			// Pop ancestors that have ended; keep the depth realistic (≤ 12).
			for len(stack) > 0 && (stack[len(stack)-1].end <= st+step || len(stack) > 12) {
				stack = stack[:len(stack)-1]
			}
			if i > 0 && len(stack) == 0 {
				// Every span but the first has a parent: the root spans the trace.
				stack = append(stack, open{id: g.rootID(), end: start + total})
			}
			if i == 0 {
				end = start + total
			} else {
				parentEnd := stack[len(stack)-1].end
				end = min(st+step/2+g.r.Int64N(step*int64(1+g.r.IntN(40))), parentEnd-1)
			}
		}
		typ := spanTypes[g.r.IntN(len(spanTypes))]
		if i == 0 {
			typ = "AGENT"
		}
		isErr := i > 0 && g.r.IntN(40) == 0

		b := g.buf[:0]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"trace_id":"`...)
		b = append(b, b64Trace...)
		b = append(b, `","span_id":"`...)
		b = base64.StdEncoding.AppendEncode(b, id[:])
		b = append(b, `","parent_span_id":`...)
		if len(stack) == 0 {
			b = append(b, "null"...)
		} else {
			b = append(b, '"')
			b = base64.StdEncoding.AppendEncode(b, stack[len(stack)-1].id[:])
			b = append(b, '"')
		}
		b = append(b, `,"name":"`...)
		b = append(b, spanName(typ, i)...)
		b = append(b, `","start_time_unix_nano":`...)
		b = strconv.AppendInt(b, st, 10)
		b = append(b, `,"end_time_unix_nano":`...)
		b = strconv.AppendInt(b, end, 10)
		b = append(b, `,"events":[`...)
		if isErr {
			b = append(b, `{"name":"exception","time_unix_nano":`...)
			b = strconv.AppendInt(b, end-1000, 10)
			b = append(b, `,"attributes":{"exception.type":"TimeoutError","exception.message":"upstream timed out after 30s","exception.stacktrace":"Traceback (most recent call last):\n  File \"agent.py\", line 42, in call\nTimeoutError: upstream timed out"}}`...)
		}
		b = append(b, `],"status":{"code":"`...)
		if isErr {
			b = append(b, `STATUS_CODE_ERROR","message":"TimeoutError: upstream timed out"}`...)
		} else {
			b = append(b, `STATUS_CODE_OK","message":""}`...)
		}
		b = append(b, `,"attributes":{"mlflow.traceRequestId":`...)
		b = append(b, reqID...)
		b = append(b, `,"mlflow.spanType":"\"`...)
		b = append(b, typ...)
		b = append(b, `\""`...)
		if typ != "CHAT_MODEL" && typ != "LLM" && typ != "EMBEDDING" {
			// Autologged model calls carry no function name.
			b = append(b, `,"mlflow.spanFunctionName":"\"`...)
			b = append(b, spanName(typ, -1)...)
			b = append(b, `\""`...)
		}
		b = append(b, `,"mlflow.spanInputs":`...)
		b = g.attr(b, g.inputs(typ))
		if !isErr {
			b = append(b, `,"mlflow.spanOutputs":`...)
			b = g.attr(b, g.outputs(typ))
		}
		if typ == "CHAT_MODEL" {
			b = append(b, `,"mlflow.message.format":"\"openai\""`...)
		}
		if typ == "CHAT_MODEL" || typ == "LLM" {
			b = append(b, `,"mlflow.chat.tokenUsage":`...)
			in, out := 20+g.r.IntN(400), 5+g.r.IntN(300)
			g.inner = fmt.Appendf(g.inner[:0], `{"input_tokens": %d, "output_tokens": %d, "total_tokens": %d}`, in, out, in+out)
			b = g.attr(b, g.inner)
		}
		b = append(b, "}}"...)
		g.buf = b
		if _, err := g.bw.Write(b); err != nil {
			return err
		}
		if g.shape != Nested {
			continue
		}
		if i == 0 {
			stack = append(stack[:0], open{id: id, end: end})
			g.root = id
		} else if typ == "CHAIN" || typ == "AGENT" || (typ == "TOOL" && g.r.IntN(3) == 0) {
			stack = append(stack, open{id: id, end: end})
		}
	}
	if _, err := g.bw.WriteString("]}}\n"); err != nil {
		return err
	}
	return g.bw.Flush()
}

func (g *gen) rootID() [8]byte { return g.root }

func spanName(typ string, i int) string {
	switch typ {
	case "CHAT_MODEL":
		return "ChatCompletions"
	case "LLM":
		return "generate"
	case "RETRIEVER":
		return "retrieve_docs"
	case "TOOL":
		return "lookup_tool"
	case "EMBEDDING":
		return "embed_query"
	case "PARSER":
		return "parse_output"
	case "RERANKER":
		return "rerank"
	case "AGENT":
		return "predict"
	}
	return "run_chain"
}

// attr appends text as an MLflow attribute value: a JSON string holding
// the JSON text (text is plain ASCII without backslashes).
func (g *gen) attr(b, text []byte) []byte {
	b = append(b, '"')
	for _, c := range text {
		if c == '"' || c == '\\' {
			b = append(b, '\\')
		}
		b = append(b, c)
	}
	return append(b, '"')
}

// sentence makes a few words of text; size varies a lot, as real payloads do.
func (g *gen) sentence(dst []byte, minWords, maxWords int) []byte {
	n := minWords + g.r.IntN(maxWords-minWords+1)
	for i := range n {
		if i > 0 {
			dst = append(dst, ' ')
		}
		dst = append(dst, words[g.r.IntN(len(words))]...)
	}
	return dst
}

// size picks a payload length class: mostly short, sometimes long.
func (g *gen) size() (int, int) {
	switch p := g.r.IntN(100); {
	case p < 80:
		return 1, 3
	case p < 97:
		return 3, 12
	default:
		return 14, 60
	}
}

func (g *gen) inputs(typ string) []byte {
	lo, hi := g.size()
	b := g.inner[:0]
	switch typ {
	case "CHAT_MODEL", "LLM":
		b = append(b, `{"messages": [{"role": "user", "content": "`...)
		b = g.sentence(b, lo, hi)
		b = append(b, `"}]}`...)
	case "RETRIEVER", "EMBEDDING":
		b = append(b, `{"query": "`...)
		b = g.sentence(b, lo, hi)
		b = append(b, `"}`...)
	default:
		b = append(b, `{"request": "`...)
		b = g.sentence(b, lo, hi)
		b = append(b, `", "k": `...)
		b = strconv.AppendInt(b, int64(g.r.IntN(10)), 10)
		b = append(b, '}')
	}
	g.inner = b
	return b
}

func (g *gen) outputs(typ string) []byte {
	lo, hi := g.size()
	b := g.inner[:0]
	switch typ {
	case "CHAT_MODEL", "LLM":
		b = append(b, `{"choices": [{"message": {"role": "assistant", "content": "`...)
		b = g.sentence(b, lo, hi)
		b = append(b, `"}}]}`...)
	case "RETRIEVER":
		b = append(b, `[{"page_content": "`...)
		b = g.sentence(b, lo, hi)
		b = append(b, `", "metadata": {"doc_uri": "doc-`...)
		b = strconv.AppendInt(b, int64(g.r.IntN(1000)), 10)
		b = append(b, `"}}]`...)
	case "EMBEDDING":
		b = append(b, `[0.0123, -0.4567, 0.891]`...)
	default:
		b = append(b, '"')
		b = g.sentence(b, lo, hi)
		b = append(b, '"')
	}
	g.inner = b
	return b
}
