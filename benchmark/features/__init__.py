"""Raw data to the field's feature files (``cmhbench features``): image backbones with
torchvision's parameter names, their weights and image preprocessing."""
