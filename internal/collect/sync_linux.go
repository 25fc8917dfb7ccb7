package collect

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// syncEach is not needed per file on Linux: syncDir syncs the whole file
// system once at the end.
func syncEach(*os.File) error { return nil }

// syncDir flushes every file written under dir to disk, and dir itself.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	return errors.Join(unix.Syncfs(int(d.Fd())), d.Sync(), d.Close())
}
