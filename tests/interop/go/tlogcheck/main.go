// Command tlogcheck reads a rekap audit log with Go's own transparency-log packages
// (golang.org/x/mod/sumdb/note and golang.org/x/mod/sumdb/tlog), not with rekap's code.
//
// It is built and run by tests/interop/test_go_interop.py:
//
//	tlogcheck log PREFIX VKEY [OLDSIZE OLDROOT] INDEX...
//	    open PREFIX/checkpoint with the log's vkey; authenticate the tiles against its root
//	    with tlog.TileHashReader; check that every entry of the named leaves' bundles hashes
//	    to its level-0 tile hash; prove and check each leaf's inclusion; and, given an older
//	    size and base64 root, prove and check consistency.
//	tlogcheck proof FILE VKEY
//	    verify a c2sp.org/tlog-proof file: the checkpoint's signature and the inclusion of the
//	    record carried as extra data.
//	tlogcheck sign NAME TEXTFILE
//	    make an Ed25519 note key and sign the text: prints the skey, the vkey and the note.
//
// Every result is printed as a line "ok ..." and any failure exits 1 with "FAIL ...".
package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

func fail(format string, args ...interface{}) {
	fmt.Printf("FAIL "+format+"\n", args...)
	os.Exit(1)
}

func readFile(path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		fail("%v", err)
	}
	return data
}

var client = &http.Client{Timeout: 30 * time.Second}

func get(url string) []byte {
	resp, err := client.Get(url)
	if err != nil {
		fail("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		fail("GET %s: status %d %v %.200s", url, resp.StatusCode, err, body)
	}
	return body
}

// openCheckpoint verifies the note with the vkey and parses origin, size and root.
func openCheckpoint(data []byte, vkey string) (string, tlog.Tree) {
	verifier, err := note.NewVerifier(vkey)
	if err != nil {
		fail("vkey %q: %v", vkey, err)
	}
	n, err := note.Open(data, note.VerifierList(verifier))
	if err != nil {
		fail("note.Open: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	if len(lines) < 4 {
		fail("checkpoint has fewer than three lines: %q", n.Text)
	}
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("checkpoint size %q: %v", lines[1], err)
	}
	root, err := base64.StdEncoding.DecodeString(lines[2])
	if err != nil || len(root) != tlog.HashSize {
		fail("checkpoint root %q: %v", lines[2], err)
	}
	var h tlog.Hash
	copy(h[:], root)
	fmt.Printf("ok note.Open verified %d signature(s) by %s; %d unverified (cosignatures)\n",
		len(n.Sigs), n.Sigs[0].Name, len(n.UnverifiedSigs))
	return lines[0], tlog.Tree{N: size, Hash: h}
}

// tiles reads C2SP tiles: Go names them tile/8/L/N, C2SP drops the height.
type tiles struct {
	prefix  string
	fetched int
	cache   map[string][]byte
}

func (t *tiles) Height() int { return 8 }

func (t *tiles) ReadTiles(list []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(list))
	for i, tile := range list {
		path := strings.Replace(tile.Path(), "tile/8/", "tile/", 1)
		if _, ok := t.cache[path]; !ok {
			t.cache[path] = get(t.prefix + "/" + path)
			t.fetched++
		}
		out[i] = t.cache[path]
	}
	return out, nil
}

func (t *tiles) SaveTiles([]tlog.Tile, [][]byte) {}

func bundle(data []byte) [][]byte {
	var entries [][]byte
	for len(data) > 0 {
		if len(data) < 2 {
			fail("entry bundle ends inside a length")
		}
		n := int(binary.BigEndian.Uint16(data))
		if len(data) < 2+n {
			fail("entry bundle ends inside an entry")
		}
		entries = append(entries, data[2:2+n])
		data = data[2+n:]
	}
	return entries
}

func checkLog(args []string) {
	if len(args) < 2 {
		fail("usage: log PREFIX VKEY [OLDSIZE OLDROOT] INDEX...")
	}
	prefix, vkey, rest := strings.TrimRight(args[0], "/"), args[1], args[2:]
	origin, tree := openCheckpoint(get(prefix+"/checkpoint"), vkey)
	reader := &tiles{prefix: prefix, cache: map[string][]byte{}}
	hashes := tlog.TileHashReader(tree, reader)
	root, err := tlog.TreeHash(tree.N, hashes)
	if err != nil || root != tree.Hash {
		fail("tlog.TreeHash over the tiles = %v, %v; checkpoint root %v", root, err, tree.Hash)
	}
	fmt.Printf("ok tlog.TreeHash over the tiles equals the root of %s at size %d\n", origin, tree.N)
	if len(rest) >= 2 && strings.Contains(rest[1], "=") {
		old, err := strconv.ParseInt(rest[0], 10, 64)
		if err != nil {
			fail("old size %q", rest[0])
		}
		oldRoot, err := tlog.ParseHash(rest[1])
		if err != nil {
			fail("old root %q: %v", rest[1], err)
		}
		proof, err := tlog.ProveTree(tree.N, old, hashes)
		if err != nil {
			fail("tlog.ProveTree(%d, %d): %v", tree.N, old, err)
		}
		if err := tlog.CheckTree(proof, tree.N, tree.Hash, old, oldRoot); err != nil {
			fail("tlog.CheckTree from size %d: %v", old, err)
		}
		fmt.Printf("ok tlog.CheckTree: size %d is an extension of size %d\n", tree.N, old)
		rest = rest[2:]
	}
	for _, arg := range rest {
		index, err := strconv.ParseInt(arg, 10, 64)
		if err != nil || index < 0 || index >= tree.N {
			fail("index %q is not a leaf of the tree of size %d", arg, tree.N)
		}
		bundleTile := tlog.TileForIndex(8, tlog.StoredHashIndex(0, index))
		bundleTile.L = -1
		if max := tree.N - bundleTile.N*256; max < 256 {
			bundleTile.W = int(max)
		} else {
			bundleTile.W = 256
		}
		path := strings.Replace(bundleTile.Path(), "tile/8/data/", "tile/entries/", 1)
		entries := bundle(get(prefix + "/" + path))
		if len(entries) != bundleTile.W {
			fail("%s has %d entries, want %d", path, len(entries), bundleTile.W)
		}
		for i, entry := range entries {
			n := bundleTile.N*256 + int64(i)
			stored, err := hashes.ReadHashes([]int64{tlog.StoredHashIndex(0, n)})
			if err != nil || stored[0] != tlog.RecordHash(entry) {
				fail("entry %d of %s does not hash to its leaf: %v", n, path, err)
			}
		}
		entry := entries[index-bundleTile.N*256]
		proof, err := tlog.ProveRecord(tree.N, index, hashes)
		if err != nil {
			fail("tlog.ProveRecord(%d, %d): %v", tree.N, index, err)
		}
		if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, tlog.RecordHash(entry)); err != nil {
			fail("tlog.CheckRecord of leaf %d: %v", index, err)
		}
		fmt.Printf("ok leaf %d: the %d entries of %s hash to the tiles, and tlog.CheckRecord proves it (%d bytes: %.60s)\n",
			index, len(entries), path, len(entry), entry)
	}
	fmt.Printf("ok %d tiles fetched\n", reader.fetched)
}

func checkProof(args []string) {
	if len(args) != 2 {
		fail("usage: proof FILE VKEY")
	}
	scanner := bufio.NewScanner(bytes.NewReader(readFile(args[0])))
	scanner.Buffer(make([]byte, 1<<20), 4<<20)
	if !scanner.Scan() || scanner.Text() != "c2sp.org/tlog-proof@v1" {
		fail("not a c2sp.org/tlog-proof@v1 file")
	}
	var extra []byte
	scanner.Scan()
	if strings.HasPrefix(scanner.Text(), "extra ") {
		var err error
		extra, err = base64.StdEncoding.DecodeString(strings.TrimPrefix(scanner.Text(), "extra "))
		if err != nil {
			fail("extra: %v", err)
		}
		scanner.Scan()
	}
	index, err := strconv.ParseInt(strings.TrimPrefix(scanner.Text(), "index "), 10, 64)
	if err != nil {
		fail("index line %q", scanner.Text())
	}
	var proof tlog.RecordProof
	for scanner.Scan() && scanner.Text() != "" {
		h, err := tlog.ParseHash(scanner.Text())
		if err != nil {
			fail("proof hash: %v", err)
		}
		proof = append(proof, h)
	}
	var checkpoint bytes.Buffer
	for scanner.Scan() {
		checkpoint.WriteString(scanner.Text() + "\n")
	}
	_, tree := openCheckpoint(checkpoint.Bytes(), args[1])
	if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, tlog.RecordHash(extra)); err != nil {
		fail("tlog.CheckRecord: %v", err)
	}
	fmt.Printf("ok the record (%d bytes) is leaf %d of the tree of size %d\n", len(extra), index, tree.N)
}

func sign(args []string) {
	if len(args) != 2 {
		fail("usage: sign NAME TEXTFILE")
	}
	text := readFile(args[1])
	skey, vkey, err := note.GenerateKey(rand.Reader, args[0])
	if err != nil {
		fail("GenerateKey: %v", err)
	}
	signer, err := note.NewSigner(skey)
	if err != nil {
		fail("NewSigner: %v", err)
	}
	msg, err := note.Sign(&note.Note{Text: string(text)}, signer)
	if err != nil {
		fail("Sign: %v", err)
	}
	fmt.Printf("%s\n%s\n%s", skey, vkey, msg)
}

func main() {
	if len(os.Args) < 2 {
		fail("usage: tlogcheck log|proof|sign ...")
	}
	switch os.Args[1] {
	case "log":
		checkLog(os.Args[2:])
	case "proof":
		checkProof(os.Args[2:])
	case "sign":
		sign(os.Args[2:])
	default:
		fail("unknown command %q", os.Args[1])
	}
}
