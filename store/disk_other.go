//go:build !unix

package store

import "errors"

// freeSpace cannot measure free space here; the guard then lets writes go.
func freeSpace(string) (uint64, error) { return 0, errors.New("free space unknown") }

// diskSize cannot measure the file system here.
func diskSize(string) (uint64, error) { return 0, errors.New("disk size unknown") }
