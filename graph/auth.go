package graph

import (
	"github.com/omnify/bff/graph/model"
	"github.com/omnify/bff/internal/auth"
	"github.com/omnify/bff/internal/page"
)

// The auth module's connections, built from the service's pages. Every
// cursor of the module carries two key parts (creation time and id), which
// is what the resolvers ask page.Default to check.

func memberConnection(p page.Page[auth.Membership], err error) (*model.MemberConnection, error) {
	if err != nil {
		return nil, err
	}
	return &model.MemberConnection{
		Edges: edgesOf(p, func(c string, n *auth.Membership) *model.MemberEdge {
			return &model.MemberEdge{Cursor: c, Node: n}
		}),
		Nodes: nodesOf(p), PageInfo: pageInfoOf(p), TotalCount: p.TotalCount,
	}, nil
}

func organizationMembershipConnection(p page.Page[auth.Membership], err error) (*model.OrganizationMembershipConnection, error) {
	if err != nil {
		return nil, err
	}
	edges := edgesOf(p, func(c string, n *auth.Membership) *model.OrganizationMembershipEdge {
		return &model.OrganizationMembershipEdge{Cursor: c, Node: (*model.OrganizationMembership)(n)}
	})
	nodes := make([]*model.OrganizationMembership, len(edges))
	for i, e := range edges {
		nodes[i] = e.Node
	}
	return &model.OrganizationMembershipConnection{Edges: edges, Nodes: nodes, PageInfo: pageInfoOf(p), TotalCount: p.TotalCount}, nil
}

func apiKeyConnection(p page.Page[auth.APIKey], err error) (*model.APIKeyConnection, error) {
	if err != nil {
		return nil, err
	}
	return &model.APIKeyConnection{
		Edges: edgesOf(p, func(c string, n *auth.APIKey) *model.APIKeyEdge {
			return &model.APIKeyEdge{Cursor: c, Node: n}
		}),
		Nodes: nodesOf(p), PageInfo: pageInfoOf(p), TotalCount: p.TotalCount,
	}, nil
}

func invitationConnection(p page.Page[auth.Invitation], err error) (*model.InvitationConnection, error) {
	if err != nil {
		return nil, err
	}
	return &model.InvitationConnection{
		Edges: edgesOf(p, func(c string, n *auth.Invitation) *model.InvitationEdge {
			return &model.InvitationEdge{Cursor: c, Node: n}
		}),
		Nodes: nodesOf(p), PageInfo: pageInfoOf(p), TotalCount: p.TotalCount,
	}, nil
}
