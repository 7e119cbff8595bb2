package report

import (
	"cmp"
	"fmt"
	"slices"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"google.golang.org/grpc/codes"
)

// mergeMethods merges the methods of reports of the same mix (their Method,
// the mix's method names, is the same): each method's counts add up and its
// histograms merge exactly, as the totals'. Its rate is its share of the
// merged rate (all methods ran over the same window).
func mergeMethods(reports []*Summary, merged *Summary) ([]MethodSummary, error) {
	first := reports[0].Methods
	out := make([]MethodSummary, len(first))
	for j, fm := range first {
		mm := MethodSummary{Method: fm.Method, Kind: fm.Kind, Weight: fm.Weight, Series: map[string]*Histogram{}}
		codeCounts, errs := map[codes.Code]int64{}, map[errorKey]int64{}
		latency, service, series := NewHDR(), NewHDR(), map[string]*hdrhistogram.Histogram{}
		for i, s := range reports {
			if len(s.Methods) != len(first) || s.Methods[j].Method != fm.Method {
				return nil, fmt.Errorf("merge: report #%d's methods differ from report #1's", i+1)
			}
			m := &s.Methods[j]
			mm.Count += m.Count
			mm.OK += m.OK
			mm.Errors += m.Errors
			mm.Messages.Sent += m.Messages.Sent
			mm.Messages.Received += m.Messages.Received
			for _, c := range m.StatusCodes {
				codeCounts[c.Code] += c.Count
			}
			for _, e := range m.ErrorsByMessage {
				errs[errorKey{code: e.Code, msg: e.Message}] += e.Count
			}
			what := "method " + m.Method + " "
			if err := mergeHDR(latency, m.Latency, i, what+"latency"); err != nil {
				return nil, err
			}
			if err := mergeHDR(service, m.ServiceTime, i, what+"service_time"); err != nil {
				return nil, err
			}
			for name, h := range m.Series {
				if series[name] == nil {
					series[name] = NewHDR()
				}
				if err := mergeHDR(series[name], h, i, what+"series "+name); err != nil {
					return nil, err
				}
			}
		}
		mm.Latency, mm.ServiceTime = NewHistogram(latency), NewHistogram(service)
		for name, h := range series {
			mm.Series[name] = NewHistogram(h)
		}
		mm.StatusCodes = StatusCodes{}
		for c, n := range codeCounts {
			mm.StatusCodes = append(mm.StatusCodes, CodeCount{Code: c, Count: n})
		}
		slices.SortFunc(mm.StatusCodes, func(a, b CodeCount) int { return cmp.Compare(a.Code, b.Code) })
		mm.ErrorsByMessage = []ErrorCount{}
		for k, n := range errs {
			mm.ErrorsByMessage = append(mm.ErrorsByMessage, ErrorCount{Code: k.code, Message: k.msg, Count: n})
		}
		SortErrorCounts(mm.ErrorsByMessage)
		if merged.Count > 0 {
			mm.RPS = merged.RPS * float64(mm.Count) / float64(merged.Count)
		}
		out[j] = mm
	}
	return out, nil
}
