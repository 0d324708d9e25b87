using AdminPortal.App.Features.Audit;
using Bunit;

namespace AdminPortal.Tests.Features.Audit;

/// <summary>The old → new lines that the audit page and the user history share, rendered by bUnit.</summary>
public sealed class AuditChangesViewTests : BunitContext
{
    [Fact]
    public void Render_UpdateCreationAndSecret_ShowsOneReadableLineEach()
    {
        var changes = AuditDiff.Parse("""{"display_name":{"old":"Ann","new":"Anna"},"site_id":{"old":null,"new":42},"password_hash":{"changed":true},"reason":"stopped"}""");

        var view = Render<AuditChangesView>(p => p.Add(v => v.Changes, changes));

        var lines = view.FindAll("li").Select(li => Text(li.TextContent)).ToList();
        Assert.Equal(["display_name: Ann → Anna", "site_id: (none) → 42", "password_hash: changed (not shown)", "reason: stopped"], lines);
        Assert.Equal("Ann", view.Find(".audit-old").TextContent);
    }

    [Fact]
    public void Render_HostileFieldAndValues_RendersThemAsText()
    {
        const string hostile = "<img src=x onerror=alert(1)><script>alert(2)</script>";
        string json = System.Text.Json.JsonSerializer.Serialize(new Dictionary<string, object?> { [hostile] = new { old = "</li></ul><b>x</b>", @new = hostile } });

        var view = Render<AuditChangesView>(p => p.Add(v => v.Changes, AuditDiff.Parse(json)));

        Assert.Empty(view.FindAll("img"));
        Assert.Empty(view.FindAll("script"));
        Assert.Empty(view.FindAll("b"));
        Assert.Single(view.FindAll("li"));
        Assert.Equal($"{hostile}: </li></ul><b>x</b> → {hostile}", Text(view.Find("li").TextContent));
        Assert.Contains("&lt;script&gt;", view.Markup);
    }

    [Fact]
    public void Render_FiveMegabyteValueAndManyFields_StaysSmall()
    {
        var fields = Enumerable.Range(0, 500).ToDictionary(i => $"f{i}", i => (object)new { old = i, @new = i + 1 });
        fields["huge"] = new { old = (string?)null, @new = new string('z', 5 * 1024 * 1024) };
        var changes = AuditDiff.Parse(System.Text.Json.JsonSerializer.Serialize(fields));

        var view = Render<AuditChangesView>(p => p.Add(v => v.Changes, changes));

        Assert.True(view.Markup.Length < 20_000, $"{view.Markup.Length} characters of markup");
        Assert.Equal(AuditDiff.MaxFields + 1, view.FindAll("li").Count);
        Assert.Equal("… and 461 more fields", Text(view.FindAll("li")[^1].TextContent));
    }

    [Fact]
    public void Parse_NotJson_KeepsTheTextCut()
    {
        var change = Assert.Single(AuditDiff.Parse("<b>" + new string('q', 10_000)));
        Assert.False(change.IsDiff);
        Assert.StartsWith("<b>qq", change.New);
        Assert.EndsWith("(9,703 more characters)", change.New);
    }

    private static string Text(string content) => System.Text.RegularExpressions.Regex.Replace(content, @"\s+", " ").Trim();
}
