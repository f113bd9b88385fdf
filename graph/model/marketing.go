package model

import "github.com/omnify/bff/internal/integrations"

// MarketingSummary is the dashboard's headline figures for a period. Its
// email revenue top lists are cut by their field resolvers, which take
// `first`, from the full ranked lists it carries.
type MarketingSummary struct {
	Currency          string           // ISO 4217
	Revenue           float64          // Triple Whale sales
	AdSpend           float64          // blended ad spend
	Roas              float64          // Revenue / AdSpend
	Orders            int              // Triple Whale orders
	AverageOrderValue float64          // Revenue / Orders
	EmailRevenue      float64          // attributed to email by Klaviyo
	PreviousPeriod    *MarketingTotals // the period of equal length before
	Daily             []*MarketingDay  // every day of the period
	// KlaviyoOrders and KlaviyoOrderRevenue are Klaviyo's "Placed Order"
	// count and value.
	KlaviyoOrders       int
	KlaviyoOrderRevenue float64
	// Summary is the service's answer, with every campaign and flow of the
	// period, for the top lists and their ids.
	Summary integrations.Summary
}

// EmailRevenueSource is one campaign's or flow's part of a period's
// attributed email revenue, with the global id of the figure (the source
// and the period).
type EmailRevenueSource struct {
	integrations.EmailRevenueSource
	// ID is the global id.
	ID string
}
