using Bunit;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.DependencyInjection;

namespace AdminPortal.Tests.Infrastructure;

public static class FollowLinkExtensions
{
    /// <summary>What Blazor's router does when the browser follows a link (a grid pager's buttons are links): a
    /// navigation to its href, on the renderer's dispatcher. Fails when the labelled control is not a link.</summary>
    public static Task FollowLinkAsync<TComponent>(this IRenderedComponent<TComponent> component, BunitContext context, string ariaLabel)
        where TComponent : IComponent
    {
        string href = component.Find($"a[aria-label='{ariaLabel}']").GetAttribute("href")
            ?? throw new InvalidOperationException($"The '{ariaLabel}' link has no href.");
        var navigation = context.Services.GetRequiredService<NavigationManager>();
        return component.InvokeAsync(() => navigation.NavigateTo(href));
    }
}
