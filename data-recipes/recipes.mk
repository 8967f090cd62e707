## data-recipes/recipes.mk - (fragment, filled by its part)
