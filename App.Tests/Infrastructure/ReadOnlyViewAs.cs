using Bunit;
using Microsoft.AspNetCore.Components;

namespace AdminPortal.Tests.Infrastructure;

public static class ReadOnlyViewAs
{
    /// <summary>Renders a page as a read-only view-as does (ViewAsFrame): inside MudBlazor's ParentDisabled cascade.</summary>
    public static IRenderedComponent<CascadingValue<bool>> RenderReadOnly<TPage>(this BunitContext context) where TPage : IComponent =>
        context.Render<CascadingValue<bool>>(parameters => parameters
            .Add(c => c.Name, "ParentDisabled")
            .Add(c => c.Value, true)
            .AddChildContent<TPage>());
}
