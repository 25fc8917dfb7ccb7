package main

import (
	"encoding/xml"
	"fmt"
	"os"
	"strconv"
)

// checkJUnitFile parses a JUnit report back with encoding/xml and checks
// its totals, and that each testsuite's counts are its testcases'.
func checkJUnitFile(path, tests, failures string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc junitSuites
	if err := xml.Unmarshal(b, &doc); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	if strconv.Itoa(doc.Tests) != tests || strconv.Itoa(doc.Failures) != failures {
		return fmt.Errorf("%s: %d tests, %d failures; want %s, %s", path, doc.Tests, doc.Failures, tests, failures)
	}
	sumT, sumF := 0, 0
	for _, s := range doc.Suites {
		f := 0
		for _, c := range s.Cases {
			if c.Failure != nil {
				f++
				if c.Failure.Message == "" {
					return fmt.Errorf("%s: suite %q case %q: a failure without a message", path, s.Name, c.Name)
				}
			}
		}
		if len(s.Cases) != s.Tests || f != s.Failures {
			return fmt.Errorf("%s: suite %q says %d tests %d failures, has %d and %d", path, s.Name, s.Tests, s.Failures, len(s.Cases), f)
		}
		sumT, sumF = sumT+s.Tests, sumF+s.Failures
	}
	if sumT != doc.Tests || sumF != doc.Failures {
		return fmt.Errorf("%s: the suites add up to %d tests %d failures, the document says %d and %d", path, sumT, sumF, doc.Tests, doc.Failures)
	}
	return nil
}
