//go:build unix

package store

import (
	"bytes"
	"os"
	"runtime/debug"
	"syscall"
)

// fileContains reports whether the file's bytes contain marker. It maps the
// file rather than reading it, so that looking for a marker in Badger's
// preallocated files (a 128 MiB value log, 16 MiB memtables) is a scan at
// memory speed, not a copy of every byte through read(2), which under -race
// the detector also records byte by byte (9 of the erasure test's 10
// seconds went there). The bytes compared are the same: the file's, from
// its first byte to its size. Should the store shrink the file while it is
// looked at, the fault is caught and the file read instead.
func fileContains(path string, marker []byte) (found bool, err error) {
	f, err := os.Open(path)
	if err != nil {
		return false, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false, err
	}
	if fi.Size() == 0 {
		return false, nil
	}
	b, err := syscall.Mmap(int(f.Fd()), 0, int(fi.Size()), syscall.PROT_READ, syscall.MAP_SHARED)
	if err != nil {
		return readContains(path, marker) // not mappable
	}
	defer syscall.Munmap(b)
	defer func() {
		if recover() != nil {
			found, err = readContains(path, marker)
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	return bytes.Contains(b, marker), nil
}
