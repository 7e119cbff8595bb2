package reflect

import (
	"slices"
	"strings"
	"unicode/utf8"
)

// maxSuggestions is how many names a NotFoundError suggests at most.
const maxSuggestions = 3

// suggest returns the candidates close to query, best first (then by name),
// at most maxSuggestions. Names are compared whole and by their short name
// (after the last "." or "/"), ignoring case: a candidate is close when the
// names are equal, when they are within a small edit distance (a third of
// the length of the query's short name, at least 1, at most 3, so that a
// long shared package does not make unrelated names look close), or when
// the query, whose short name has at least three characters, is a prefix of
// the candidate.
func suggest(query string, candidates []string) []string {
	type scored struct {
		name  string
		score int
	}
	q, qShort := strings.ToLower(query), strings.ToLower(shortName(query))
	n := utf8.RuneCountInString(qShort)
	var near []scored
	for _, c := range candidates {
		lc, cShort := strings.ToLower(c), strings.ToLower(shortName(c))
		if score, ok := closeness(q, lc, n); ok {
			near = append(near, scored{c, score})
		} else if score, ok := closeness(qShort, cShort, n); ok {
			near = append(near, scored{c, score})
		}
	}
	slices.SortFunc(near, func(a, b scored) int {
		if a.score != b.score {
			return a.score - b.score
		}
		return strings.Compare(a.name, b.name)
	})
	var out []string
	for _, s := range near[:min(len(near), maxSuggestions)] {
		out = append(out, s.name)
	}
	return out
}

// closeness scores how far candidate c is from query q (both lower case),
// whose short name has n runes: the edit distance, when it is small enough
// to suggest.
func closeness(q, c string, n int) (int, bool) {
	if n == 0 {
		return 0, false
	}
	d := editDistance(q, c)
	if d <= min(max(n/3, 1), 3) {
		return d, true
	}
	if n >= 3 && strings.HasPrefix(c, q) {
		return d, true
	}
	return 0, false
}

// shortName is the part of a name after its last "/" or ".".
func shortName(name string) string {
	return name[strings.LastIndexAny(name, "/.")+1:]
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
