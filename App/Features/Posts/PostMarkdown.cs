using Ganss.Xss;
using Markdig;

namespace AdminPortal.App.Features.Posts;

/// <summary>
/// Markdown to HTML for previews: Markdig renders, HtmlSanitizer then removes scripts, event handlers, javascript:
/// URLs and anything else not on its allow-list. Content is written by tenants' editors; it is never trusted.
/// </summary>
public static class PostMarkdown
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder().UseAdvancedExtensions().Build();

    private static readonly HtmlSanitizer Sanitizer = new();

    public static string ToSafeHtml(string? markdown) =>
        string.IsNullOrWhiteSpace(markdown) ? "" : Sanitizer.Sanitize(Markdown.ToHtml(markdown, Pipeline));

    /// <summary>A URL-safe slug from a title: lower case ASCII letters, digits and single hyphens.</summary>
    public static string Slugify(string title)
    {
        var slug = new System.Text.StringBuilder();
        foreach (char c in title.Normalize(System.Text.NormalizationForm.FormD).ToLowerInvariant())
        {
            if (c is >= 'a' and <= 'z' or >= '0' and <= '9')
            {
                slug.Append(c);
            }
            else if (char.GetUnicodeCategory(c) != System.Globalization.UnicodeCategory.NonSpacingMark && slug.Length > 0 && slug[^1] != '-')
            {
                slug.Append('-');
            }
        }

        return slug.ToString().Trim('-') is { Length: > 0 } text ? text[..Math.Min(text.Length, 200)].TrimEnd('-') : "post";
    }

    public static bool IsValidSlug(string slug) =>
        slug.Length is > 0 and <= 200 && slug.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-') && !slug.StartsWith('-') && !slug.EndsWith('-') && !slug.Contains("--");
}
