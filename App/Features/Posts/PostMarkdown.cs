using AngleSharp.Dom;
using Ganss.Xss;
using Markdig;

namespace AdminPortal.App.Features.Posts;

/// <summary>
/// Markdown to HTML for previews: Markdig renders, then an explicit allow-list keeps only what Markdown itself produces.
/// Content is written by tenants' editors and shown to their admins inside the portal; it is never trusted.
/// </summary>
/// <remarks>
/// <para>What survives: headings, paragraphs, emphasis, links, code, quotes, lists, tables, rules and line breaks, with no
/// <c>style</c>, <c>class</c>, <c>id</c> or <c>name</c> attribute. So there is no form to phish a password with, no
/// positioned overlay, no page class borrowed from MudBlazor, and no id that clobbers a global in the portal's scripts.</para>
/// <para>Links keep http, https, mailto and relative addresses only, and open in a new tab with
/// <c>rel="noopener noreferrer nofollow"</c>, so following one neither leaves the editor nor tells the target where it
/// came from.</para>
/// <para>Images are never loaded in the preview: each becomes a visible placeholder with its description and a link to its
/// address. A remote image is a tracking pixel: it would tell the tenant's server who opened the preview, when, and from
/// which address.</para>
/// </remarks>
public static class PostMarkdown
{
    // Only extensions whose output fits the allow-list: no generic attributes ({#id .class}), no media links (iframes),
    // no task lists (inputs), no custom containers or math (classes), no automatic heading ids.
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .UseAbbreviations()
        .UseAutoLinks()
        .UseDefinitionLists()
        .UseEmphasisExtras()
        .UseFigures()
        .UseFooters()
        .UseFootnotes()
        .UseGridTables()
        .UseListExtras()
        .UsePipeTables()
        .Build();

    /// <summary>Every element a preview may contain. Anything else is removed together with its content.</summary>
    public static readonly IReadOnlySet<string> AllowedTags = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "div", "span",
        "em", "strong", "b", "i", "u", "s", "del", "ins", "mark", "sup", "sub", "small", "abbr", "cite", "q",
        "code", "pre", "kbd", "samp", "var", "blockquote",
        "ul", "ol", "li", "dl", "dt", "dd",
        "table", "caption", "colgroup", "col", "thead", "tbody", "tfoot", "tr", "th", "td",
        "figure", "figcaption", "footer", "a", "img",
    };

    /// <summary>Every attribute a preview may contain, on any allowed element.</summary>
    public static readonly IReadOnlySet<string> AllowedAttributes = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        "href", "title", "alt", "src", "colspan", "rowspan", "span", "start", "reversed",
    };

    public static readonly IReadOnlySet<string> AllowedSchemes = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "http", "https", "mailto" };

    public const string LinkRel = "noopener noreferrer nofollow";

    private static readonly HtmlSanitizer Sanitizer = CreateSanitizer();

    public static string ToSafeHtml(string? markdown) =>
        string.IsNullOrWhiteSpace(markdown) ? "" : Sanitizer.Sanitize(Markdown.ToHtml(markdown, Pipeline));

    private static HtmlSanitizer CreateSanitizer()
    {
        // Empty() starts from nothing, so no default of the library (forms, style, class) slips back in.
        var options = HtmlSanitizerOptions.Empty();
        options.AllowedTags.UnionWith(AllowedTags);
        options.AllowedAttributes.UnionWith(AllowedAttributes);
        options.AllowedSchemes.UnionWith(AllowedSchemes);
        options.UriAttributes.UnionWith(["href", "src"]);
        var sanitizer = new HtmlSanitizer(options)
        {
            // A removed element takes its content with it: a fake sign-in form goes with its fields, labels and button.
            KeepChildNodes = false,
        };
        sanitizer.PostProcessDom += (_, e) => FinishLinksAndImages(e.Document);
        return sanitizer;
    }

    private static void FinishLinksAndImages(IDocument document)
    {
        foreach (var image in document.QuerySelectorAll("img").ToList())
        {
            image.Replace(ImagePlaceholder(document, image.GetAttribute("src"), image.GetAttribute("alt")));
        }

        foreach (var link in document.QuerySelectorAll("a"))
        {
            link.SetAttribute("rel", LinkRel);
            link.SetAttribute("target", "_blank");
        }
    }

    /// <summary>
    /// "Image not loaded in the preview: description", with the description linking to the image's address when it is
    /// http(s). Nothing is fetched until a person clicks, and then without a referrer.
    /// </summary>
    private static INode ImagePlaceholder(IDocument document, string? source, string? description)
    {
        var placeholder = document.CreateElement("span");
        placeholder.SetAttribute("data-image-placeholder", "");
        placeholder.AppendChild(document.CreateTextNode("Image not loaded in the preview: "));
        string label = string.IsNullOrWhiteSpace(description) ? source ?? "no address" : description;
        if (source is not null && Uri.TryCreate(source, UriKind.Absolute, out var address) && address.Scheme is "http" or "https")
        {
            var link = document.CreateElement("a");
            link.SetAttribute("href", address.AbsoluteUri);
            link.AppendChild(document.CreateTextNode(label));
            placeholder.AppendChild(link);
        }
        else
        {
            placeholder.AppendChild(document.CreateTextNode(label));
        }

        return placeholder;
    }

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
