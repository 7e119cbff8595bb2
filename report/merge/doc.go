// Package merge combines the reports of runs made at the same time (on
// several machines, or in several processes) into one: Reports adds the
// counts, merges every histogram exactly, lays the timelines and the
// connections' events on the earliest start, and keeps each run as a
// report.Source. It refuses reports that cannot be one run (another
// method, schema or load shape) and bounds what a crafted report can make
// it allocate (MaxWindow).
package merge
