package data

import (
	"errors"
	"fmt"
	"text/template"
	"text/template/parse"
)

// ErrTemplateEnv means a template reads the environment (sprig's env or
// expandenv) without the run allowing it: a data file or scenario from
// someone else could copy the user's tokens and keys into the requests.
var ErrTemplateEnv = errors.New("templates read environment variables only with --template-env")

// envFuncs are the template functions that read the process's environment.
var envFuncs = map[string]bool{"env": true, "expandenv": true}

// refuseEnv returns an ErrTemplateEnv error naming the first env function
// that a template of set calls, or nil. It reads the parse trees, so a call
// in a branch not taken is refused too.
func refuseEnv(set *template.Template) error {
	for _, t := range set.Templates() {
		if t.Tree == nil {
			continue
		}
		if name := envCall(t.Tree.Root); name != "" {
			return fmt.Errorf("%w: the template calls %s", ErrTemplateEnv, name)
		}
	}
	return nil
}

// envCall is the name of the first env function called under n, or "".
func envCall(n parse.Node) string {
	var found string
	var walk func(parse.Node)
	walk = func(n parse.Node) {
		if n == nil || found != "" {
			return
		}
		switch n := n.(type) {
		case *parse.IdentifierNode:
			if envFuncs[n.Ident] {
				found = n.Ident
			}
		case *parse.ListNode:
			if n != nil {
				for _, c := range n.Nodes {
					walk(c)
				}
			}
		case *parse.ActionNode:
			walk(n.Pipe)
		case *parse.PipeNode:
			if n != nil {
				for _, c := range n.Cmds {
					walk(c)
				}
			}
		case *parse.CommandNode:
			for _, a := range n.Args {
				walk(a)
			}
		case *parse.ChainNode:
			walk(n.Node)
		case *parse.IfNode:
			walkBranch(&n.BranchNode, walk)
		case *parse.RangeNode:
			walkBranch(&n.BranchNode, walk)
		case *parse.WithNode:
			walkBranch(&n.BranchNode, walk)
		case *parse.TemplateNode:
			walk(n.Pipe)
		}
	}
	walk(n)
	return found
}

func walkBranch(b *parse.BranchNode, walk func(parse.Node)) {
	walk(b.Pipe)
	walk(b.List)
	walk(b.ElseList)
}
