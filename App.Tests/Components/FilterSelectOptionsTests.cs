using AdminPortal.App.Components.Shared;

namespace AdminPortal.Tests.Components;

/// <summary>
/// A filter select's options: built once per list of choices and selection, and built again when either changes;
/// the texts are always HTML-encoded.
/// </summary>
public class FilterSelectOptionsTests
{
    [Fact]
    public void SameChoicesAndSelection_TheMarkupBuiltBefore()
    {
        (string Value, string Text)[] choices = [("", "All sites"), ("1", "Contoso"), ("2", "Fabrikam")];

        var first = FilterSelect.Options(choices, "1");
        var again = FilterSelect.Options(choices, "1");

        Assert.Same(first.Value, again.Value);
        Assert.Contains("<option value=\"1\" selected>Contoso</option>", first.Value);
    }

    [Fact]
    public void SelectionChanges_TheSelectedOptionMoves_AndBack()
    {
        (string Value, string Text)[] choices = [("", "Any"), ("a", "A"), ("b", "B")];

        var a = FilterSelect.Options(choices, "a").Value;
        var b = FilterSelect.Options(choices, "b").Value;
        var none = FilterSelect.Options(choices, null).Value;
        var aAgain = FilterSelect.Options(choices, "a").Value;

        Assert.Contains("<option value=\"a\" selected>", a);
        Assert.DoesNotContain("<option value=\"b\" selected>", a);
        Assert.Contains("<option value=\"b\" selected>", b);
        Assert.DoesNotContain("<option value=\"a\" selected>", b);
        Assert.Contains("<option value=\"\" selected>Any</option>", none);
        Assert.Equal(a, aAgain);
    }

    [Fact]
    public void NewListWithOtherChoices_IsBuiltFromTheNewList_HostileTextsEncoded()
    {
        List<(string Value, string Text)> sites = [("", "All sites"), ("1", "Contoso")];
        var before = FilterSelect.Options(sites, "").Value;

        sites = [("", "All sites"), ("1", "Contoso"), ("3", "<script>alert(1)</script> \u202Egnp.exe\" onmouseover=\"x")];
        var after = FilterSelect.Options(sites, "").Value;

        Assert.DoesNotContain("value=\"3\"", before);
        Assert.Contains("value=\"3\"", after);
        Assert.DoesNotContain("<script>", after);
        Assert.Contains("&lt;script&gt;alert(1)&lt;/script&gt;", after);
        Assert.DoesNotContain("\" onmouseover=\"", after);
    }
}
