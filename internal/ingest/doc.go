// Package ingest is the one owner of trace assembly: it opens inputs
// (files, standard input; compressed and binary inputs get a hint), detects
// and decodes their documents (spanjson), and hands on each trace once,
// whole, when it is complete, through a trace manager (manager). Every read
// command and convert read through Read, so one policy decides which spans
// make a trace and when it is complete, and duplicates are dropped once.
package ingest
