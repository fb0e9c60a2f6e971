"""Driving the API explorer (Swagger UI at /docs) as a user does, for the browser tests."""

from __future__ import annotations

from playwright.sync_api import Locator, Page


def operation(page: Page, method: str, path: str) -> Locator:
    """One operation's block, as Swagger UI renders it (its summary shows method and path)."""
    return page.locator(f".opblock-{method.lower()}").filter(
        has=page.locator(f'.opblock-summary-path[data-path="{path}"]')
    )


def try_it(block: Locator) -> None:
    """Open the operation and switch it to "Try it out"."""
    block.locator(".opblock-summary").first.click()
    block.get_by_role("button", name="Try it out").click()


def execute(block: Locator) -> Locator:
    """Send the request as filled in; the live response's row (status, body) it renders."""
    block.get_by_role("button", name="Execute").click()
    return block.locator(".live-responses-table .response")


def authorize(page: Page, value: str) -> None:
    """Fill the page's one security scheme in the Authorize dialog, as a user pastes a key."""
    page.locator(".auth-wrapper .authorize").click()
    dialog = page.locator(".dialog-ux .modal-ux")
    dialog.locator("input").first.fill(value)
    dialog.get_by_role("button", name="Apply credentials").click()  # the dialog's "Authorize"
    dialog.get_by_role("button", name="Close").click()
