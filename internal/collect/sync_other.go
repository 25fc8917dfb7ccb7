//go:build !linux

package collect

import (
	"errors"
	"os"
)

// syncEach syncs each file as it is written.
func syncEach(f *os.File) error { return f.Sync() }

// syncDir syncs the directory entry list.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(d.Sync(), d.Close())
}
