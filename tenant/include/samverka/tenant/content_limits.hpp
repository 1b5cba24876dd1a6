// Named limits of the content and search features, with the reason for each.
#pragma once

#include <cstddef>
#include <cstdint>

namespace samverka::tenant::limits {

// --- Pages ------------------------------------------------------------------------------------
// Review interval when none is given: a yearly look is what municipal web guidelines ask for.
inline constexpr int default_review_days = 365;
// Longest review interval: content unreviewed for over three years is stale by any measure.
inline constexpr int max_review_days = 3 * 365;
// "Due" in the review report: due within this many days or overdue.
inline constexpr int review_due_window_days = 30;
// Depth of the page tree; deeper trees are a navigation problem, and it bounds cycle checks.
inline constexpr int max_page_depth = 16;
// Items of the review report and the page tree in one answer.
inline constexpr std::size_t max_page_list = 1'000;

// --- Guides -----------------------------------------------------------------------------------
// Steps in one guide; a longer procedure should be split into several guides.
inline constexpr std::size_t max_guide_steps = 100;
inline constexpr std::size_t max_step_text = 4'000;
inline constexpr std::size_t max_image_ref = 500;

// --- Links and profiles -----------------------------------------------------------------------
// Personal links per user: a start page, not a bookmark manager.
inline constexpr std::size_t max_links = 50;
inline constexpr std::size_t max_url = 2'000;  // what browsers reliably handle
inline constexpr std::size_t max_profile_field = 200;
inline constexpr std::size_t max_about = 4'000;
// Profile photos: a 1000x1000 JPEG is ~300 KB; the gateway's request body limit bounds it too.
inline constexpr std::size_t max_photo_bytes = 900 * 1024;

// --- Documents --------------------------------------------------------------------------------
// One uploaded file (default; configurable per store with set_document_limits).
inline constexpr std::uint64_t default_max_document_bytes = 50ull * 1024 * 1024;
// All document versions of one tenant together (default; configurable).
inline constexpr std::uint64_t default_tenant_quota_bytes = 10ull * 1024 * 1024 * 1024;
// Documents listed as "recently used" on the start page.
inline constexpr std::size_t recent_documents = 10;

// --- Audit ------------------------------------------------------------------------------------
inline constexpr std::size_t default_audit_page = 50;
inline constexpr std::size_t max_audit_page = 500;
// Rows one export streams at most; a larger trail is exported in several time ranges.
inline constexpr std::size_t max_audit_export = 100'000;

// --- Search -----------------------------------------------------------------------------------
// Results in one answer: a person reads the first page, type-ahead shows a handful.
inline constexpr std::size_t default_search_results = 20;
inline constexpr std::size_t max_search_results = 50;
// Query text accepted (bytes); a query is a few words, never a document.
inline constexpr std::size_t max_search_query = 200;
// (The candidate windows of a query are search.cpp's candidate_window and
// title_candidate_window, next to the cost they bound.)
// Freshness half-life in ranking: an item this many days old gets half the freshness boost.
inline constexpr double freshness_half_life_days = 30.0;

}  // namespace samverka::tenant::limits
