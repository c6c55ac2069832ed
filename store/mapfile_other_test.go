//go:build !unix

package store

// fileContains reports whether the file's bytes contain marker.
func fileContains(path string, marker []byte) (bool, error) {
	return readContains(path, marker)
}
