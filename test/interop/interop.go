// An interoperability check with Go's own transparency-log code
// (golang.org/x/mod/sumdb/note and sumdb/tlog, Debian's golang-golang-x-mod-dev),
// which nobody on this project wrote. Reads a JSON case on stdin (what
// test/interop.test.ts made with the TypeScript code), checks it with Go's
// code, and writes what Go found, plus a note Go signed, on stdout.
package main

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type inclusion struct {
	Index int64    `json:"index"`
	Size  int64    `json:"size"`
	Proof []string `json:"proof"`
}

type consistency struct {
	Old   int64    `json:"old"`
	New   int64    `json:"new"`
	Proof []string `json:"proof"`
}

type input struct {
	Vkey        string            `json:"vkey"`
	Skey        string            `json:"skey"`
	Notes       []string          `json:"notes"`
	BadNotes    []string          `json:"badNotes"`
	Leaves      []string          `json:"leaves"`
	Roots       map[string]string `json:"roots"`
	Inclusion   []inclusion       `json:"inclusion"`
	Consistency []consistency     `json:"consistency"`
	Text        string            `json:"text"`
}

type output struct {
	Errors       []string `json:"errors"`
	Checked      int      `json:"checked"`
	NoteTexts    []string `json:"noteTexts"`
	GoVkey       string   `json:"goVkey"`
	GoNote       string   `json:"goNote"`
	GoSignedText string   `json:"goSignedText"`
}

func hash(s string) tlog.Hash {
	var h tlog.Hash
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != len(h) {
		panic("bad hash " + s)
	}
	copy(h[:], b)
	return h
}

func main() {
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		panic(err)
	}
	out := output{Errors: []string{}}
	fail := func(format string, args ...interface{}) { out.Errors = append(out.Errors, fmt.Sprintf(format, args...)) }

	// Our checkpoints, opened by Go with our verifier key; forged ones refused.
	v, err := note.NewVerifier(in.Vkey)
	if err != nil {
		fail("NewVerifier(our key): %v", err)
	} else {
		for i, msg := range in.Notes {
			n, err := note.Open([]byte(msg), note.VerifierList(v))
			if err != nil {
				fail("note %d: Open: %v", i, err)
				continue
			}
			out.NoteTexts = append(out.NoteTexts, n.Text)
			out.Checked++
		}
		for i, msg := range in.BadNotes {
			if _, err := note.Open([]byte(msg), note.VerifierList(v)); err == nil {
				fail("bad note %d: Open accepted it", i)
			}
			out.Checked++
		}
	}

	// The tree from our leaf hashes, stored as Go stores it.
	var stored []tlog.Hash
	reader := tlog.HashReaderFunc(func(idx []int64) ([]tlog.Hash, error) {
		list := make([]tlog.Hash, len(idx))
		for i, x := range idx {
			list[i] = stored[x]
		}
		return list, nil
	})
	for i, l := range in.Leaves {
		hs, err := tlog.StoredHashesForRecordHash(int64(i), hash(l), reader)
		if err != nil {
			panic(err)
		}
		stored = append(stored, hs...)
	}
	roots := map[int64]tlog.Hash{}
	for size, r := range in.Roots {
		var n int64
		fmt.Sscan(size, &n)
		th, err := tlog.TreeHash(n, reader)
		if err != nil || th != hash(r) {
			fail("root of %d: Go %v, ours %s (%v)", n, th, r, err)
		}
		roots[n] = hash(r)
		out.Checked++
	}
	for _, c := range in.Inclusion {
		var p tlog.RecordProof
		for _, x := range c.Proof {
			p = append(p, hash(x))
		}
		if err := tlog.CheckRecord(p, c.Size, roots[c.Size], c.Index, hash(in.Leaves[c.Index])); err != nil {
			fail("CheckRecord(%d in %d): %v", c.Index, c.Size, err)
		}
		gp, err := tlog.ProveRecord(c.Size, c.Index, reader)
		if err != nil || len(gp) != len(p) {
			fail("ProveRecord(%d in %d) differs in length: %v", c.Index, c.Size, err)
		} else {
			for i := range gp {
				if gp[i] != p[i] {
					fail("ProveRecord(%d in %d) differs at %d", c.Index, c.Size, i)
				}
			}
		}
		out.Checked++
	}
	for _, c := range in.Consistency {
		var p tlog.TreeProof
		for _, x := range c.Proof {
			p = append(p, hash(x))
		}
		if err := tlog.CheckTree(p, c.New, roots[c.New], c.Old, roots[c.Old]); err != nil {
			fail("CheckTree(%d to %d): %v", c.Old, c.New, err)
		}
		gp, err := tlog.ProveTree(c.New, c.Old, reader)
		if err != nil || len(gp) != len(p) {
			fail("ProveTree(%d to %d) differs in length: %v", c.Old, c.New, err)
		} else {
			for i := range gp {
				if gp[i] != p[i] {
					fail("ProveTree(%d to %d) differs at %d", c.Old, c.New, i)
				}
			}
		}
		out.Checked++
	}

	// Our signer key, used by Go: Ed25519 is deterministic, so the note must be ours byte for byte.
	if s, err := note.NewSigner(in.Skey); err != nil {
		fail("NewSigner(our key): %v", err)
	} else if msg, err := note.Sign(&note.Note{Text: in.Text}, s); err != nil {
		fail("Sign with our key: %v", err)
	} else {
		out.GoSignedText = string(msg)
	}

	// A key and a note made by Go, for the TypeScript side to open.
	skey, vkey, err := note.GenerateKey(rand.Reader, "go.example/interop")
	if err != nil {
		panic(err)
	}
	s, _ := note.NewSigner(skey)
	msg, err := note.Sign(&note.Note{Text: in.Text}, s)
	if err != nil {
		panic(err)
	}
	out.GoVkey = vkey
	out.GoNote = string(msg)

	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		panic(err)
	}
	os.Stdout.Write(buf.Bytes())
}
