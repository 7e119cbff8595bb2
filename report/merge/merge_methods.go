package merge

import (
	"cmp"
	"fmt"
	"slices"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/grpcpulse/grpcpulse/report"
	"github.com/grpcpulse/grpcpulse/runner/event"
)

// mergeMethods merges the methods of reports of the same mix (their Method,
// the mix's method names, is the same): each method's counts add up and its
// histograms merge exactly, as the totals'. Its rate is its share of the
// merged rate (all methods ran over the same window).
func mergeMethods(reports []*report.Summary, merged *report.Summary) ([]report.MethodSummary, error) {
	first := reports[0].Methods
	out := make([]report.MethodSummary, len(first))
	for j, fm := range first {
		mm := report.MethodSummary{Method: fm.Method, Kind: fm.Kind, Weight: fm.Weight, Series: map[string]*report.Histogram{}}
		codeCounts, errs := map[event.Code]int64{}, map[errorKey]int64{}
		latency, service, series := report.NewHDR(), report.NewHDR(), map[string]*hdrhistogram.Histogram{}
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
					series[name] = report.NewHDR()
				}
				if err := mergeHDR(series[name], h, i, what+"series "+name); err != nil {
					return nil, err
				}
			}
		}
		mm.Latency, mm.ServiceTime = report.NewHistogram(latency), report.NewHistogram(service)
		for name, h := range series {
			mm.Series[name] = report.NewHistogram(h)
		}
		mm.StatusCodes = report.StatusCodes{}
		for c, n := range codeCounts {
			mm.StatusCodes = append(mm.StatusCodes, report.CodeCount{Code: c, Count: n})
		}
		slices.SortFunc(mm.StatusCodes, func(a, b report.CodeCount) int { return cmp.Compare(a.Code, b.Code) })
		mm.ErrorsByMessage = []report.ErrorCount{}
		for k, n := range errs {
			mm.ErrorsByMessage = append(mm.ErrorsByMessage, report.ErrorCount{Code: k.code, Message: k.msg, Count: n})
		}
		report.SortErrorCounts(mm.ErrorsByMessage)
		if merged.Count > 0 {
			mm.RPS = merged.RPS * float64(mm.Count) / float64(merged.Count)
		}
		out[j] = mm
	}
	return out, nil
}
